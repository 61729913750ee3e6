"""OpenAI webhooks on Vercel (Python runtime): ``api/openai_webhook.py`` holding a ``handler`` class.

Copy this file to ``api/openai_webhook.py`` (the package vendored next to it or in
``requirements.txt``), set ``OPENAI_WEBHOOK_SECRET``; the webhook URL is
``https://PROJECT.vercel.app/api/openai_webhook``.  Locally: ``python examples/vercel_handler.py``.
"""

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class handler(BaseHTTPRequestHandler):  # lower case: the name Vercel looks for
    def do_POST(self) -> None:
        try:
            length = max(0, int(self.headers.get("content-length", "0")))
        except ValueError:
            length = 0  # an unreadable length: an empty body, which no delivery signs
        bound = webhook.max_body_bytes  # one byte past the verifier's bound is enough to refuse a body
        body = self.rfile.read(length if bound is None else min(length, bound + 1))  # the raw bytes signed
        try:
            answer = receive(webhook, router, body, self.headers)
        except Exception:  # the handler raised (logged, claim released): 500, so OpenAI retries
            self.send_error(500)
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    ThreadingHTTPServer(("127.0.0.1", 3000), handler).serve_forever()
