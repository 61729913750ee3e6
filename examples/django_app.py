"""OpenAI webhooks in Django: a single-file project (settings in code, one URL, one view).

Run ``OPENAI_WEBHOOK_SECRET=whsec_... python examples/django_app.py runserver``
and point the webhook at ``http://HOST:8000/webhooks/openai``; in production
serve ``application`` with any WSGI server (``gunicorn examples.django_app``).
With ``WEBHOOK_IDEMPOTENCY_DB=/path/deliveries.sqlite3`` each delivery is
processed once across the server's threads and processes (one host).  In an
existing project only the view and its URL are needed.

The answers are the receive step's (status, headers, JSON body); a handler
that raises makes Django answer 500 after the claim is released, so OpenAI
retries.
"""

from __future__ import annotations

import logging
import os
import sys

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, receive
from openai_webhook_events.idempotency import Idempotency, SQLiteStore

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "only-for-this-example"),  # Django's own key: set it in production
    ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(","),
    ROOT_URLCONF=__name__,  # the URL patterns are in this file
    MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
)

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
database = os.environ.get("WEBHOOK_IDEMPOTENCY_DB")
idempotency = Idempotency(SQLiteStore(database)) if database else None


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


# csrf_exempt: Django's CSRF middleware (on in every new project) answers a silent 403 to any POST without a
# CSRF token, and OpenAI's deliveries cannot carry one.  The webhook signature is this view's protection:
# the receive step verifies it before anything else runs.
@csrf_exempt
@require_POST
def openai_webhook(request: HttpRequest) -> HttpResponse:
    # request.body is the raw bytes the signature covers; request.headers is case-insensitive.
    answer = receive(webhook, router, request.body, request.headers, idempotency=idempotency)
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers:
        response[name] = value
    return response


urlpatterns = [path("webhooks/openai", openai_webhook)]

application: WSGIHandler = get_wsgi_application()

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
