"""The server apps of ``bench/load.py``: each contender's receiver, built at import from the environment.

The servers import ``load_apps:app`` (gunicorn and uvicorn, ``--app-dir``/``--chdir bench``)
with these variables set by ``bench/load.py``:

* ``LOAD_APP``: ``package-wsgi``, ``package-asgi`` (a sync store client, in worker threads),
  ``package-asgi-async`` (``AsyncRedisStore``, awaited on the loop), ``powertools`` or ``handwritten``;
* ``LOAD_SECRET``: the ``whsec_...`` secret; ``LOAD_REDIS_PORT``: the redis-server on 127.0.0.1;
* ``LOAD_SQLITE``: a file path: the package's store is ``SQLiteStore`` there instead of ``RedisStore``.

Every handler counts its run with ``INCR runs:<event id>`` on that redis-server (one event id per
``webhook-id``), through its own client without timeouts or retries, so a count is never lost nor
doubled by the counting itself (a stalled server only makes the handler wait).
"""

from __future__ import annotations

import os
from typing import Any

SECRET = os.environ.get("LOAD_SECRET", "")
REDIS_PORT = int(os.environ.get("LOAD_REDIS_PORT", "0"))
RETENTION_SECONDS = 7 * 24 * 3600


def _redis(asynchronous: bool = False, **options: Any) -> Any:
    """A redis-py client (``redis.asyncio``'s with *asynchronous*) on ``LOAD_REDIS_PORT``."""
    import redis
    import redis.asyncio

    module: Any = redis.asyncio if asynchronous else redis
    return module.Redis(host="127.0.0.1", port=REDIS_PORT, **options)


def store_client(asynchronous: bool = False) -> Any:
    """The store's client, with the short timeouts and the single retry the README recommends."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    retry: Any = Retry(NoBackoff(), 1)
    if asynchronous:
        from redis.asyncio.retry import Retry as AsyncRetry

        retry = AsyncRetry(NoBackoff(), 1)
    return _redis(asynchronous, socket_timeout=1, socket_connect_timeout=1, retry=retry)


def _counter() -> Any:
    """``count(event_id)``: one ``INCR runs:<event id>``, no timeout, no retry (a run is counted exactly once)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = _redis(retry=Retry(NoBackoff(), 0))
    return lambda event_id: client.incr("runs:" + event_id)


def package_app(kind: str) -> Any:
    """This package's WSGI or ASGI app, ``RedisStore`` (or ``SQLiteStore`` with ``LOAD_SQLITE``).

    *kind* ``"asgi-async"``: the ASGI app on ``AsyncRedisStore`` (a ``redis.asyncio`` client), its handler
    ``async def``, counting through ``redis.asyncio`` too: everything awaited on the event loop.
    """
    from openai_webhook_events import AsyncRouter, Router, Webhook, WebhookEvent, asgi, wsgi
    from openai_webhook_events.idempotency import AsyncRedisStore, Idempotency, RedisStore, SQLiteStore

    webhook = Webhook(SECRET)
    if kind == "asgi-async":
        from redis.asyncio.retry import Retry as AsyncRetry
        from redis.backoff import NoBackoff

        counter = _redis(asynchronous=True, retry=AsyncRetry(NoBackoff(), 0))
        awaiting: AsyncRouter[Any] = AsyncRouter()

        @awaiting.fallback
        async def handle_awaiting(event: WebhookEvent) -> None:
            await counter.incr("runs:" + event.id)

        return asgi.app(webhook, awaiting, idempotency=Idempotency(AsyncRedisStore(store_client(asynchronous=True))))
    count = _counter()
    path = os.environ.get("LOAD_SQLITE")
    store = SQLiteStore(path) if path else RedisStore(store_client())
    idempotency = Idempotency(store)
    if kind == "wsgi":
        router: Router[Any] = Router()

        @router.fallback
        def handle(event: WebhookEvent) -> None:
            count(event.id)

        return wsgi.app(webhook, router, idempotency=idempotency)
    async_router: AsyncRouter[Any] = AsyncRouter()

    @async_router.fallback
    def handle_async(event: WebhookEvent) -> None:  # a plain handler: called on the loop, as a short one is
        count(event.id)

    return asgi.app(webhook, async_router, idempotency=idempotency)


def powertools_redis_layer(client: Any) -> Any:
    """Powertools' Redis persistence layer on *client* (``CachePersistenceLayer``, as Powertools 3.x names it)."""
    import warnings

    from aws_lambda_powertools.utilities.idempotency.persistence.cache import CachePersistenceLayer

    with warnings.catch_warnings():  # Powertools 3.x warns about its own Redis class's future rename
        warnings.simplefilter("ignore", DeprecationWarning)
        return CachePersistenceLayer(client=client)


def powertools_app() -> Any:
    """Flask + the openai SDK's ``client.webhooks.unwrap`` + Powertools' ``idempotent_function`` on Redis."""
    import flask
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
    from openai import OpenAI

    count = _counter()
    client = OpenAI(api_key="unused: the benchmark makes no API call", webhook_secret=SECRET)
    layer = powertools_redis_layer(store_client())
    config = IdempotencyConfig(event_key_jmespath="webhook_id", expires_after_seconds=RETENTION_SECONDS)
    app = flask.Flask(__name__)

    @idempotent_function(data_keyword_argument="delivery", persistence_store=layer, config=config)
    def process(delivery: dict[str, str]) -> None:
        count(delivery["event_id"])

    @app.post("/")
    def receive() -> tuple[str, int]:
        try:
            event = client.webhooks.unwrap(flask.request.get_data(), dict(flask.request.headers))
        except Exception:
            return "", 400
        try:
            process(delivery={"webhook_id": flask.request.headers["webhook-id"], "event_id": event.id})
        except IdempotencyAlreadyInProgressError:
            return "", 409
        except Exception:
            return "", 500
        return "", 200

    return app


def handwritten_app() -> Any:
    """A plain WSGI function: standardwebhooks ``verify``, a pydantic model, Redis ``SET NX EX``; 200 to a copy."""
    import pydantic
    import standardwebhooks

    class Event(pydantic.BaseModel):
        id: str
        type: str
        created_at: int
        data: dict[str, Any]

    count = _counter()
    verifier = standardwebhooks.Webhook(SECRET)
    redis = store_client()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key[:5] == "HTTP_"}
        status = "200 OK"
        try:
            event = Event.model_validate(verifier.verify(body, headers))
        except Exception:
            status = "400 Bad Request"
        else:
            key = "seen:" + headers["webhook-id"]
            try:
                first = redis.set(key, 1, nx=True, ex=RETENTION_SECONDS)
                if first:
                    try:
                        count(event.id)
                    except Exception:
                        redis.delete(key)
                        raise
            except Exception:
                status = "500 Internal Server Error"
        start_response(status, [("content-length", "0")])
        return [b""]

    return app


def build(name: str) -> Any:
    if name == "package-wsgi":
        return package_app("wsgi")
    if name == "package-asgi":
        return package_app("asgi")
    if name == "package-asgi-async":
        return package_app("asgi-async")
    if name == "powertools":
        return powertools_app()
    if name == "handwritten":
        return handwritten_app()
    raise SystemExit(f"LOAD_APP: unknown app {name!r}")


app = build(os.environ["LOAD_APP"]) if "LOAD_APP" in os.environ else None
