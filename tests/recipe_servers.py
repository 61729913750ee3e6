"""The apps and recipes of examples/ as their real servers load them, each router given the failing handler.

The servers import their app from here: ``flask --app tests.recipe_servers:flask_app run``,
``uvicorn tests.recipe_servers:fastapi_app`` (and the other ASGI apps), ``gunicorn
tests.recipe_servers:wsgi_app`` (and ``:duplicates_app``, ``:django_application``), ``functions-framework
--source tests/recipe_servers.py --target gcf_webhook``; ``python -m tests.recipe_servers
django|vercel|wsgiref PORT`` runs Django's ``runserver``, Vercel's handler on ``http.server`` and the WSGI
app on ``wsgiref`` (port 0: a free one; it prints ``listening on URL``).  Django gets a project's settings
(:data:`DJANGO_SETTINGS`, the CSRF middleware included) with examples/django_app.py as its URLconf.
The wirings that examples/ names in a docstring (Flask's ``DispatcherMiddleware``, Starlette's ``Route``,
FastAPI's ``app.router.routes.append``)
are built here exactly as written there, and a Starlette ``Mount``, the wiring that redirects.  Records go
to the file ``RECIPE_LOG`` names, so a test can count handler runs.  Run with the repository root on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from types import ModuleType
from typing import Any

from tests.deliveries import add_failing_handler

DJANGO_SETTINGS: dict[str, Any] = {
    "ROOT_URLCONF": "examples.django_app",
    "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
    "MIDDLEWARE": ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
}
"""What a new project's settings.py has that matters here (the CSRF middleware on); examples/django_app.py: URLconf."""

_APPS = {
    "flask_app": ("flask_app", "app"),
    "fastapi_app": ("fastapi_app", "app"),
    "fastapi_depends": ("fastapi_depends", "app"),
    "gcf_webhook": ("gcf_main", "openai_webhook"),
    "wsgi_app": ("wsgi_app", "app"),
    "asgi_app": ("asgi_app", "app"),
    "duplicates_app": ("duplicates", "app"),
    "duplicates_asgi": ("duplicates", "asgi_app"),
}


def recipe(name: str) -> ModuleType:
    """``examples.<name>``, imported once, its router given the failing handler."""
    module = sys.modules.get(f"examples.{name}")
    if module is None:
        logging.basicConfig(filename=os.environ["RECIPE_LOG"], level=logging.INFO, format="%(name)s: %(message)s")
        module = importlib.import_module(f"examples.{name}")
        add_failing_handler(module.router)
    return module


def _flask_dispatcher() -> Any:
    """A Flask app with examples/wsgi_app.py's ``DispatcherMiddleware`` line, its ``wsgi.app`` at the exact path."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from openai_webhook_events import wsgi

    module = recipe("wsgi_app")
    webhook, router = module.webhook, module.router
    app = Flask(__name__)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/webhooks/openai": wsgi.app(webhook, router)})  # type: ignore[method-assign]
    return app


def _starlette(mount: bool) -> Any:
    """examples/asgi_app.py's app in Starlette: at ``Route("/webhooks/openai", app)``, or (*mount*) in a Mount."""
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route

    app = recipe("asgi_app").app
    return Starlette(routes=[Mount("/webhooks/openai", app=app) if mount else Route("/webhooks/openai", app)])


def _fastapi_appended() -> Any:
    """docs/fastapi.md's wiring for an app that exists: examples/asgi_app.py's app appended to its routes."""
    from fastapi import FastAPI
    from starlette.routing import Route

    app = FastAPI()
    app.router.routes.append(Route("/webhooks/openai", recipe("asgi_app").app))
    return app


def django_configured() -> None:
    """Django set up with :data:`DJANGO_SETTINGS`, unless it already is."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**DJANGO_SETTINGS)
        django.setup()


def __getattr__(name: str) -> Any:
    if name == "django_application":
        from django.core.wsgi import get_wsgi_application

        django_configured()
        recipe("django_app")
        return get_wsgi_application()
    if name == "flask_dispatcher":
        return _flask_dispatcher()
    if name == "fastapi_appended":
        return _fastapi_appended()
    if name in ("starlette_route", "starlette_mount"):
        return _starlette(name == "starlette_mount")
    if name not in _APPS:
        raise AttributeError(name)
    module, attribute = _APPS[name]
    return getattr(recipe(module), attribute)


def main(which: str, port: int) -> None:
    if which == "django":
        from django.core.management import execute_from_command_line

        django_configured()
        recipe("django_app")
        execute_from_command_line(["django_app", "runserver", "--noreload", f"127.0.0.1:{port}"])
    elif which == "wsgiref":
        from wsgiref.simple_server import make_server

        with make_server("127.0.0.1", port, recipe("wsgi_app").app) as server:
            print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
            server.serve_forever()
    else:
        from http.server import ThreadingHTTPServer

        ThreadingHTTPServer(("127.0.0.1", port), recipe("vercel_handler").handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
