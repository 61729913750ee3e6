"""OpenAI webhooks on Azure Functions (Python v2 programming model, HTTP trigger).

Deploy this file as ``function_app.py`` (``azure-functions`` in ``requirements.txt``) with the
app setting ``OPENAI_WEBHOOK_SECRET``; the webhook URL is
``https://APP.azurewebsites.net/api/webhooks/openai``.  ``ANONYMOUS``: OpenAI sends no function
key, the signature authenticates.  A handler that raises makes the host answer 500, so OpenAI retries.
"""

import logging

import azure.functions as func

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


app = func.FunctionApp()


@app.route(route="webhooks/openai", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def openai_webhook(req: func.HttpRequest) -> func.HttpResponse:
    # get_body() is the raw bytes the signature covers; req.headers is case-insensitive.
    answer = receive(webhook, router, req.get_body(), req.headers)
    return func.HttpResponse(answer.body, status_code=answer.status, headers=dict(answer.headers))
