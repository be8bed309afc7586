"""Notification channels: managers only, secrets write-only and encrypted at rest (with a
real key rotation), bad targets refused with nothing changed, tenants apart."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from notifications.models import Channel
from notifications.services.channels import channel_create
from notifications.targets import destination

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/channels/"


def stored_secrets(channel_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM notifications_channel WHERE id = %s", [channel_id])
        return cursor.fetchone()[0]


def test_a_webhook_channel_shows_its_secret_once_and_never_its_target(
    api, in_alpha, receiver, loopback_allowed
):
    client = api("manager")
    target = receiver.url("/hooks/cmms?token=very-secret")

    created = client.post(
        URL,
        {"kind": "webhook", "target": target, "events": ["sla:violation"], "name": "Ops"},
        format="json",
    )

    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["secret"].startswith("whsec_")
    assert "target" not in answer
    assert answer["target_hint"] == "http://127.0.0.1/..."
    detail = client.get(f"{URL}{answer['id']}/").json()
    listed = client.get(URL).json()["results"][0]
    for shown in (detail, listed):
        assert "secret" not in shown
        assert "target" not in shown
        assert "tokens" not in shown
    raw = stored_secrets(answer["id"])
    assert raw.startswith("enc:v1:")
    assert "very-secret" not in raw
    assert answer["secret"] not in raw
    entry = AuditEntry.objects.get(action="notification_channel.create")
    assert "very-secret" not in str(entry.changes)
    assert answer["secret"] not in str(entry.changes)


def test_only_managers_see_or_change_channels(api, in_alpha):
    for role in ("planner", "technician", "viewer", "requester"):
        assert api(role).get(URL).status_code == 403, role
        assert api(role).get("/api/v1/notifications/deliveries/").status_code == 403, role
        refused = api(role).post(URL, {"kind": "email", "roles": ["manager"]}, format="json")
        assert refused.status_code == 403, role
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "pager", "target": "x"}, "kind"),
        ({"kind": "email", "target": "ops@example.com", "events": ["party:started"]}, "events"),
        ({"kind": "email", "target": "ops@example.com", "roles": ["boss"]}, "roles"),
        ({"kind": "email"}, "target"),
        ({"kind": "email", "target": "not an address"}, "target"),
        ({"kind": "sms", "target": "+31612345678"}, "tokens"),
        (
            {"kind": "sms", "target": "call me", "tokens": {"service": "twilio://a:b@+1555"}},
            "target",
        ),
        ({"kind": "push", "target": "https://example.com/not-apprise"}, "target"),
        ({"kind": "slack", "target": "ntfy://topic"}, "target"),
        ({"kind": "webhook", "target": "http://127.0.0.1:9/hook"}, "target"),
        ({"kind": "webhook", "target": "https://10.0.0.8/hook"}, "target"),
        ({"kind": "webhook", "target": "https://169.254.169.254/latest"}, "target"),
        ({"kind": "webhook", "target": "ftp://example.com/"}, "target"),
        ({"kind": "push", "target": "ntfy://10.1.2.3/alerts"}, "target"),
        ({"kind": "webhook", "target": "https://[::1]/", "colour": "red"}, "colour"),
    ],
)
def test_bad_channels_are_refused_with_the_field_named(api, in_alpha, body, field):
    response = api("manager").post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Channel.objects.exists()


def test_apprise_targets_of_the_vendors_are_accepted_without_calling_them(api, in_alpha):
    client = api("manager")
    slack = client.post(
        URL,
        {
            "kind": "slack",
            "target": "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
            "events": ["sla:violation"],
        },
        format="json",
    )
    sms = client.post(
        URL,
        {
            "kind": "sms",
            "target": "+15557654321",
            "tokens": {"service": "twilio://ACabcdefabcdefabcdefabcdefabcdefab:t0ken@+15551234567"},
        },
        format="json",
    )

    assert slack.status_code == 201, slack.content
    assert sms.status_code == 201, sms.content
    assert sms.json()["target_hint"] == "...4321"
    assert sms.json()["secret"] is None


def test_a_channel_keeps_its_kind_and_a_new_target_is_checked_again(api, in_alpha):
    client = api("manager")
    channel = client.post(URL, {"kind": "email", "target": "ops@example.com"}, format="json").json()

    assert client.patch(f"{URL}{channel['id']}/", {"kind": "sms"}, format="json").status_code == 400
    bad = client.patch(f"{URL}{channel['id']}/", {"target": "nobody"}, format="json")
    good = client.patch(
        f"{URL}{channel['id']}/", {"target": "night@example.com", "active": False}, format="json"
    )

    assert bad.status_code == 400
    assert good.status_code == 200
    assert good.json()["active"] is False
    stored = Channel.objects.get()
    assert stored.secrets["target"] == "night@example.com"
    assert AuditEntry.objects.filter(action="notification_channel.update").count() == 1


def test_tenants_never_see_each_others_channels(api, alpha, beta):
    with tenant_context(beta.tenant):
        theirs = channel_create(by=None, kind="email", target="beta@example.com")
    client = api("manager", tenant=alpha)

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 404


def test_rotating_the_key_re_encrypts_every_secret_and_the_old_key_can_go(in_alpha, alpha):
    with override_settings(FIELD_ENCRYPTION_KEYS=["old-key-" + "x" * 40]):
        channel = channel_create(
            by=None,
            kind="push",
            target="pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi",
            roles=["manager"],
        )
        before = stored_secrets(channel.pk)

    # A new key first, the old one still after it: the command re-encrypts under the new one.
    with override_settings(FIELD_ENCRYPTION_KEYS=["new-key-" + "y" * 40, "old-key-" + "x" * 40]):
        out = io.StringIO()
        call_command("rotate_encrypted_fields", "--tenant", alpha.schema, stdout=out)
        connection.set_tenant(alpha.tenant)
        after = stored_secrets(channel.pk)

    assert "secrets re-encrypted" in out.getvalue()
    assert after != before
    # With the old key dropped, the channel still reads (and sends to) its target.
    with override_settings(FIELD_ENCRYPTION_KEYS=["new-key-" + "y" * 40]):
        target = Channel.objects.get(pk=channel.pk).secrets["target"]
        assert (
            destination("push", target).url
            == "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi"
        )
