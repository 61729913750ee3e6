"""OpenAI webhooks on Google Cloud Functions (Python, HTTP trigger, the ``functions-framework`` runtime).

Deploy with this file as ``main.py`` and the entry point ``openai_webhook``
(``gcloud functions deploy ... --entry-point openai_webhook --trigger-http
--allow-unauthenticated``: OpenAI sends no Google credentials, the signature
is the authentication); set ``OPENAI_WEBHOOK_SECRET``, from Secret Manager
preferably.  Locally: ``functions-framework --source examples/gcf_main.py
--target openai_webhook --port 8080``.

The request is a Flask request: ``get_data()`` is the raw body the signature
covers.  Instances share no disk, so for once-only processing pass
``idempotency=Idempotency(RedisStore(...))`` (a Memorystore for Redis) to
``receive``; SQLite does not fit here.  A handler that raises answers 500,
so OpenAI retries.
"""

from __future__ import annotations

import logging

import flask
import functions_framework

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, receive

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]  (its hints name an unresolved 'Response')
def openai_webhook(request: flask.Request) -> tuple[bytes, int, list[tuple[str, str]]]:
    answer = receive(webhook, router, request.get_data(), request.headers)
    return answer.body, answer.status, list(answer.headers)
