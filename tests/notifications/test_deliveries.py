"""Deliveries: recorded with the write, sent by the Celery task to real local servers,
retried with backoff, signed as Standard Webhooks say; a dead channel never fails a write."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from maintenance.services import work_orders
from notifications.models import Delivery
from notifications.services.channels import channel_create
from notifications.services.deliveries import (
    deliveries_resend_stalled,
    delivery_attempt,
    retry_delay,
)
from notifications.tasks import send_deliveries
from tests.notifications.receiver import Receiver

pytestmark = pytest.mark.django_db


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks spec (not our code, not
    the library's): HMAC-SHA256 over "id.timestamp.body" with the base64 key after whsec_,
    compared in constant time with any v1 signature of the header, timestamp fresh."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (
            part.partition(",") for part in headers["webhook-signature"].split()
        )
    )


def webhook_channel(receiver: Receiver, **fields):
    return channel_create(
        by=None,
        kind="webhook",
        target=receiver.url("/hooks/cmms"),
        events=fields.pop("events", ["work-order:created"]),
        **fields,
    )


def test_a_webhook_gets_the_event_signed_as_standard_webhooks_say(
    in_alpha, receiver, loopback_allowed, django_capture_on_commit_callbacks, celery_eager
):
    channel = webhook_channel(receiver)
    secret = channel.secrets["secret"]

    with django_capture_on_commit_callbacks(execute=True):
        order = work_orders.work_order_create(by=None, title="Replace belt")

    [request] = receiver.requests
    assert request.path == "/hooks/cmms"
    assert request.headers["content-type"] == "application/json"
    assert verify_standard_webhook(secret, request.headers, request.body)
    # The reference library agrees, and a tampered body fails the independent check.
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "work-order:created"
    assert not verify_standard_webhook(secret, request.headers, request.body + b" ")
    sent = request.json()
    assert set(sent) == {"type", "timestamp", "data"}
    assert sent["data"]["id"] == order.pk
    assert sent["timestamp"].endswith("Z")
    delivery = Delivery.objects.get()
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert (delivery.status, delivery.attempts, delivery.channel_id) == ("sent", 1, channel.pk)


def test_a_failing_receiver_is_retried_with_backoff_under_the_same_message_id(
    in_alpha, loopback_allowed
):
    receiver = Receiver(statuses=[500, 503])
    try:
        webhook_channel(receiver)
        work_orders.work_order_create(by=None, title="Replace belt")
        delivery = Delivery.objects.get()

        assert delivery_attempt(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        assert delivery.last_error == "The receiver answered HTTP 500."
        wait = delivery.next_attempt_at - timezone.now()
        assert timedelta(seconds=25) < wait <= retry_delay(1)
        # Not due yet: a second task for it (the sweep, a redelivery) does nothing.
        assert delivery_attempt(delivery.pk) is None

        Delivery.objects.update(next_attempt_at=timezone.now())
        assert delivery_attempt(delivery.pk) == "retrying"
        assert retry_delay(2) == 4 * retry_delay(1)
        Delivery.objects.update(next_attempt_at=timezone.now())
        assert delivery_attempt(delivery.pk) == "sent"
    finally:
        receiver.stop()

    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert len(receiver.requests) == 3
    assert ids == {delivery.webhook_id}
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_error, delivery.next_attempt_at) == (3, "", None)


@override_settings(NOTIFICATION_MAX_ATTEMPTS=2)
def test_a_dead_channel_never_fails_the_write_and_is_given_up_in_the_end(
    api, in_alpha, loopback_allowed, django_capture_on_commit_callbacks, celery_eager
):
    dead = Receiver()
    url = dead.url("/gone")
    dead.stop()  # nothing listens there any more
    channel_create(by=None, kind="webhook", target=url, events=["work-order:created"])

    with django_capture_on_commit_callbacks(execute=True):
        response = api("planner").post("/api/v1/work-orders/", {"title": "Leak"}, format="json")

    assert response.status_code == 201
    delivery = Delivery.objects.get()
    assert delivery.status == "retrying"
    assert "could not be reached" in delivery.last_error
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery.pk) == "failed"


def test_push_sms_and_slack_go_through_apprise_to_their_services(
    in_alpha, loopback_allowed, django_capture_on_commit_callbacks, celery_eager
):
    ntfy, gateway, mattermost = Receiver(), Receiver(), Receiver()
    try:
        events = ["work-order:created"]
        channel_create(
            by=None, kind="push", target=f"ntfy://127.0.0.1:{ntfy.port}/plant", events=events
        )
        channel_create(
            by=None,
            kind="sms",
            target="+31612345678",
            tokens={"service": f"smseagle://t0ken@127.0.0.1:{gateway.port}"},
            events=events,
        )
        channel_create(
            by=None,
            kind="slack",
            target=f"mmost://127.0.0.1:{mattermost.port}/abcdefghijklmnop",
            events=events,
        )

        with django_capture_on_commit_callbacks(execute=True):
            order = work_orders.work_order_create(by=None, title="Conveyor stopped")
    finally:
        for server in (ntfy, gateway, mattermost):
            server.stop()

    assert list(Delivery.objects.values_list("status", flat=True)) == ["sent"] * 3
    [push] = ntfy.requests
    assert push.path.startswith("/plant") or b"plant" in push.body
    assert order.number.encode() in push.body
    [sms] = gateway.requests
    assert sms.path == "/jsonrpc/sms"
    assert "31612345678" in json.dumps(sms.json())
    assert order.number in json.dumps(sms.json())
    [slack] = mattermost.requests
    assert slack.path == "/hooks/abcdefghijklmnop"
    assert order.number in slack.json()["text"]


def test_an_email_channel_writes_to_its_addresses_and_the_members_of_its_roles(
    in_alpha, django_capture_on_commit_callbacks, celery_eager
):
    channel_create(
        by=None,
        kind="email",
        target="night-shift@example.com",
        roles=["planner"],
        events=["work-order:created"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        order = work_orders.work_order_create(by=None, title="Conveyor stopped")

    [message] = mail.outbox
    assert set(message.to) == {"night-shift@example.com", f"planner@{in_alpha.domain}"}
    assert order.number in message.subject


def test_an_event_no_channel_wants_records_nothing(in_alpha, receiver, loopback_allowed):
    webhook_channel(receiver, events=["sla:violation"])
    channel_create(
        by=None, kind="email", target="x@example.com", events=["work-order:created"], active=False
    )

    work_orders.work_order_create(by=None, title="Quiet")

    assert not Delivery.objects.exists()


def test_the_sweep_sends_again_what_a_lost_task_left_behind(
    in_alpha, receiver, loopback_allowed, django_capture_on_commit_callbacks, celery_eager
):
    webhook_channel(receiver)
    # The write committed but its task never reached a worker.
    work_orders.work_order_create(by=None, title="Replace belt")
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_resend_stalled() == 1

    assert Delivery.objects.get().status == "sent"
    assert len(receiver.requests) == 1
    # Sent once: running the task again for it sends nothing more.
    assert send_deliveries.run([Delivery.objects.get().pk]) == {"skipped": 1}
    assert len(receiver.requests) == 1


def test_managers_read_the_deliveries(api, in_alpha, receiver, loopback_allowed):
    channel = webhook_channel(receiver)
    work_orders.work_order_create(by=None, title="One")
    work_orders.work_order_create(by=None, title="Two")
    delivery_attempt(Delivery.objects.order_by("id").first().pk)
    client = api("manager")

    listed = client.get("/api/v1/notifications/deliveries/").json()
    assert listed["count"] == 2
    row = listed["results"][-1]
    assert set(row) >= {"channel", "event", "status", "attempts", "last_error", "created_at"}
    assert (row["channel"], row["event"], row["status"], row["attempts"]) == (
        channel.pk,
        "work-order:created",
        "sent",
        1,
    )
    assert client.get("/api/v1/notifications/deliveries/", {"status": "sent"}).json()["count"] == 1
    assert client.get("/api/v1/notifications/deliveries/", {"channel": 987654}).json()["count"] == 0
