"""Device tokens: the secret a device signs its readings with, on the API and on MQTT.

A token is made once and shown once; only its SHA-256 is stored (the token is 32
random bytes, so a fast hash is as good as a slow one and costs nothing per
request). It names one device, and revoking it keeps the row for the record.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from core.audit import audit_record, changes_between
from core.exceptions import Conflict
from core.models import User
from core.writes import locked, validate
from iot.models import DeviceToken
from iot.services.broker_clients import (
    broker_client_create_on_commit,
    broker_client_delete_on_commit,
)

TOKEN_PREFIX = "iotd_"  # noqa: S105 (a marker, not a secret)
# last_used_at is a hint for people, not an audit: written at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def looks_like_device_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


@transaction.atomic
def device_token_create(
    *, by: User | None, asset: Asset, name: str = ""
) -> tuple[DeviceToken, str]:
    """A new token for ``asset``; returns it with the secret, which is never shown again
    (with ``MQTT_BROKER_AUTH=dynsec`` its broker client is made after commit)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(
        asset=asset,
        name=name,
        token_hash=token_hash(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        created_by=by if by is not None and by.is_authenticated else None,
    )
    validate(token)
    token.save()
    audit_record(
        actor=by,
        action="device_token.create",
        obj=token,
        changes=changes_between({}, {"device_id": asset.asset_id, "prefix": token.prefix}),
    )
    broker_client_create_on_commit(token_pk=token.pk, raw=raw)
    return token, raw


@transaction.atomic
def device_token_revoke(*, by: User | None, token: DeviceToken) -> DeviceToken:
    """From now on the token answers 401 on the API and is refused on MQTT (with
    ``MQTT_BROKER_AUTH=dynsec`` its broker client is deleted after commit)."""
    token = locked(token)
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.", "token_already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=by,
        action="device_token.revoke",
        obj=token,
        changes=changes_between({"revoked_at": None}, {"revoked_at": token.revoked_at}),
    )
    broker_client_delete_on_commit(device_id=token.asset.asset_id, prefix=token.prefix)
    return token


def device_token_find(raw: str) -> DeviceToken | None:
    """The token of the current tenant with this secret, revoked or not (None: no such)."""
    if not looks_like_device_token(raw) or len(raw) > 200:
        return None
    token = DeviceToken.objects.select_related("asset").filter(token_hash=token_hash(raw)).first()
    if token is not None and token.revoked_at is None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
