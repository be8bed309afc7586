"""Notification channels: managers set them up; every change is audited, secrets never."""

import base64
import secrets as random_secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from core.audit import audit_record
from core.events import EVENT_TYPES
from core.exceptions import InvalidInput
from core.models import User
from core.roles import ROLE_NAMES, Role
from core.writes import audited_delete, audited_update, locked, validate
from notifications.choices import ChannelKind
from notifications.models import Channel
from notifications.targets import TargetRefused, destination, hint

# What the audit trail shows of a channel: never its target, tokens or secret.
CHANNEL_FIELDS = ("name", "kind", "events", "roles", "active", "target_hint")
SECRET_CHANGED = {"before": "***", "after": "*** (changed)"}


def webhook_secret() -> str:
    """A new signing secret in the Standard Webhooks form, ``whsec_<base64 of 32 bytes>``."""
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode("ascii")


def _names(values: Iterable[str], allowed: Iterable[str], field: str, what: str) -> list[str]:
    if isinstance(values, str):
        raise InvalidInput({field: [f"A list of {what}."]})
    allowed = set(allowed)
    cleaned: list[str] = []
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            raise InvalidInput(
                {field: [f'"{value}" is not one of the {what}: {", ".join(sorted(allowed))}.']}
            )
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _checked(kind: str, target: str, tokens: Any, roles: list[str]) -> None:
    if tokens is not None and not isinstance(tokens, dict):
        raise InvalidInput({"tokens": ["An object of the provider's tokens."]})
    if kind == ChannelKind.EMAIL and not (target or "").strip() and not roles:
        raise InvalidInput(
            {"target": ["An e-mail channel needs addresses, or roles whose members it writes to."]}
        )
    if kind == ChannelKind.EMAIL and not (target or "").strip():
        return
    try:
        destination(kind, target, tokens or {})
    except TargetRefused as exc:
        raise InvalidInput(exc.errors) from exc


@transaction.atomic
def channel_create(
    *,
    by: User | None,
    kind: str,
    target: str = "",
    tokens: dict[str, Any] | None = None,
    name: str = "",
    events: Iterable[str] = (),
    roles: Iterable[str] = (),
    active: bool = True,
) -> Channel:
    """A new channel. A webhook channel gets a signing secret, readable once from
    ``channel.secrets["secret"]`` by the caller that shows it to the manager."""
    if kind not in ChannelKind.values:
        raise InvalidInput({"kind": [f'"{kind}" is not a valid choice.']})
    events = _names(events, EVENT_TYPES, "events", "events")
    roles = _names(roles, ROLE_NAMES, "roles", "roles")
    _checked(kind, target, tokens, roles)
    stored: dict[str, Any] = {"target": (target or "").strip(), "tokens": tokens or {}}
    if kind == ChannelKind.WEBHOOK:
        stored["secret"] = webhook_secret()
    channel = Channel(
        name=(name or "").strip(),
        kind=kind,
        secrets=stored,
        target_hint=hint(kind, target),
        events=events,
        roles=roles,
        active=active,
    )
    validate(channel)
    channel.save()
    audit_record(
        actor=by,
        action="notification_channel.create",
        obj=channel,
        changes={
            **{name: {"before": None, "after": getattr(channel, name)} for name in CHANNEL_FIELDS},
            "target": SECRET_CHANGED,
        },
    )
    return channel


@transaction.atomic
def channel_update(*, by: User | None, channel: Channel, **fields: Any) -> Channel:
    """Change a channel. A new target or tokens replace the stored ones (checked again);
    the kind stays what it was created as."""
    channel = locked(channel)
    if "kind" in fields and fields["kind"] != channel.kind:
        raise InvalidInput({"kind": ["A channel keeps its kind; create another channel."]})
    fields.pop("kind", None)
    target = fields.pop("target", None)
    tokens = fields.pop("tokens", None)
    if "events" in fields:
        fields["events"] = _names(fields["events"], EVENT_TYPES, "events", "events")
    if "roles" in fields:
        fields["roles"] = _names(fields["roles"], ROLE_NAMES, "roles", "roles")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    secret_changes: dict[str, dict[str, Any]] = {}
    stored = dict(channel.secrets or {})
    if target is not None or tokens is not None:
        stored["target"] = (target if target is not None else stored.get("target", "")).strip()
        stored["tokens"] = tokens if tokens is not None else stored.get("tokens", {})
        secret_changes["target"] = SECRET_CHANGED
        fields["target_hint"] = hint(channel.kind, stored["target"])
    roles = fields.get("roles", channel.roles)
    _checked(channel.kind, stored.get("target", ""), stored.get("tokens"), roles)
    channel.secrets = stored
    audited_update(
        channel,
        by=by,
        action="notification_channel.update",
        fields=fields,
        audited=CHANNEL_FIELDS,
        also_changed=secret_changes,
    )
    return channel


@transaction.atomic
def channel_delete(*, by: User | None, channel: Channel) -> None:
    """Remove a channel; its past deliveries stay in the record."""
    audited_delete(
        locked(channel), by=by, action="notification_channel.delete", audited=CHANNEL_FIELDS
    )


def seed_demo_channels(*, stdout: Any) -> None:
    """Demo: the managers hear of breaches and low stock by e-mail (idempotent)."""
    if Channel.objects.filter(name="Managers by e-mail").exists():
        return
    channel_create(
        by=None,
        kind=ChannelKind.EMAIL,
        name="Managers by e-mail",
        roles=[Role.MANAGER],
        events=["sla:violation", "inventory:low-stock"],
    )
    stdout.write("  notification channel: managers by e-mail\n")
