"""OpenAI webhooks in Django: one view and its URL, here in a one-file project.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... python examples/django_app.py runserver`` (or ``gunicorn
examples.django_app``); the webhook URL is ``http://HOST:8000/webhooks/openai``.  In your project,
copy the view and its URL pattern.
"""

import logging
import sys

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, receive

settings.configure(  # your project's settings.py
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
)
logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


def openai_webhook(request: HttpRequest) -> HttpResponse:
    # request.body: the bytes the signature covers
    answer = receive(webhook, router, request.body, request.headers)
    return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))


# csrf_exempt: a delivery carries no CSRF token (the middleware would answer 403); the signature protects it.
urlpatterns = [path("webhooks/openai", csrf_exempt(openai_webhook))]
application = get_wsgi_application()

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
