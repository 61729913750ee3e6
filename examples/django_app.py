"""Django: one view and its URL, for your project's urls.py."""

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, receive

logger = logging.getLogger(__name__)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


def openai_webhook(request: HttpRequest) -> HttpResponse:
    answer = receive(webhook, router, request.body, request.headers)  # the raw body: never a parsed one
    return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))


# csrf_exempt: a delivery carries no CSRF token (the middleware would answer 403); its signature protects the view.
urlpatterns = [path("webhooks/openai", csrf_exempt(openai_webhook))]
