"""How a message leaves: Django's e-mail backend, Apprise, or a signed webhook.

Each function sends one message and raises ``DeliveryFailed`` with a reason a
manager can act on; retrying is the caller's (``services.deliveries``).
"""

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import apprise
import httpx
from django.core.mail import send_mail
from standardwebhooks.webhooks import Webhook

from core.outbound import guarded_client

# A webhook receiver answers with an acknowledgement, not a document.
WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024
WEBHOOK_TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The message did not get through; the text says why."""


def send_email(addresses: Sequence[str], subject: str, body: str) -> None:
    """One e-mail to ``addresses`` through Django's backend (SMTP settings from the env)."""
    if not addresses:
        raise DeliveryFailed("Nobody to write to: no address, and nobody in the channel's roles.")
    try:
        send_mail(subject, body, None, list(addresses), fail_silently=False)
    except Exception as exc:  # SMTP errors come in many types; all are a failed attempt
        raise DeliveryFailed(f"The mail server refused: {exc}") from exc


def send_apprise(url: str, title: str, body: str) -> None:
    """One notification to the Apprise service at ``url`` (checked by ``targets``)."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise DeliveryFailed("The service URL is not one Apprise can use.")
    with apprise.LogCapture(level=logging.WARNING) as output:
        delivered = notifier.notify(body=body, title=title)
        log = output.getvalue()
    if not delivered:
        lines = [line.split(" - ", 2)[-1] for line in log.strip().splitlines()]
        raise DeliveryFailed(" ".join(lines[-3:]) or "The service did not accept the message.")


def webhook_body(event: str, data: dict[str, Any], occurred_at: datetime) -> str:
    """The JSON a webhook receives: ``{"type", "timestamp", "data"}``."""
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event, "timestamp": timestamp, "data": data}, separators=(",", ":"))


def webhook_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: id, Unix timestamp, ``v1,<base64 HMAC-SHA256>``."""
    return {
        "content-type": "application/json",
        "user-agent": "cmms-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
    }


def send_webhook(url: str, secret: str, message_id: str, body: str) -> None:
    """POST ``body`` to ``url`` through the outbound guard, signed now; 2xx is success."""
    headers = webhook_headers(secret, message_id, body, datetime.now(UTC))
    try:
        with guarded_client(
            timeout=WEBHOOK_TIMEOUT_SECONDS, max_bytes=WEBHOOK_MAX_RESPONSE_BYTES
        ) as client:
            response = client.post(url, content=body.encode(), headers=headers)
            response.read()
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"The receiver could not be reached: {exc}") from exc
    if not 200 <= response.status_code < 300:
        # A redirect is a failure too: the guard never follows one.
        raise DeliveryFailed(f"The receiver answered HTTP {response.status_code}.")
