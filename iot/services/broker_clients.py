"""Broker clients of device tokens, kept in step with the tokens (``MQTT_BROKER_AUTH=dynsec``).

Every active device token has a client in the broker's dynamic-security plugin:

- username ``<tenant schema>/<device_id>/<token prefix>`` (the prefix is the token's first
  11 characters, ``iotd_`` and 6 more), so a device derives it from what it already holds
  and two tokens of one device (a rotation) never share a client;
- password: the token itself;
- one role of the same name, allowed ``publishClientSend`` on
  ``cmms/<tenant schema>/<device_id>/metrics`` only. The plugin's default access refuses
  every other publish and every subscribe, so the broker itself proves to the bridge
  which device sent a message.

A client is made when its token is made (the only time the plaintext exists: tokens are
hashed at rest) and deleted when the token is revoked or its device deleted; the plugin
then disconnects a device signed in with it. Reconciliation deletes clients no active
token accounts for, but cannot remake a lost one: such tokens are reported, to be rotated.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction

from config.celery import app
from core.crypto import encrypt
from iot.broker import broker_from_url
from iot.dynsec import DynsecControl, DynsecError

logger = structlog.get_logger(__name__)

# The token prefix is iotd_ and 6 characters (iot.services.tokens, which imports this module).
DEVICE_CLIENT_RE = re.compile(
    r"^([a-z][a-z0-9_]{1,62})/([A-Za-z0-9][A-Za-z0-9._-]{0,63})/(iotd_[A-Za-z0-9_-]{6})$"
)
CREATE_TASK = "iot.tasks.broker_client_create"
DELETE_TASK = "iot.tasks.broker_client_delete"
BRIDGE_ROLE = "cmms-bridge"
# Answers of the plugin that mean "already as wanted": creating twice, deleting twice.
EXISTS = ("Client already exists", "Role already exists")
NOT_FOUND = ("Client not found", "Role not found")


def device_client_username(*, schema: str, device_id: str, prefix: str) -> str:
    return f"{schema}/{device_id}/{prefix}"


def device_topic(*, schema: str, device_id: str) -> str:
    return f"cmms/{schema}/{device_id}/metrics"


def broker_sync_enabled() -> bool:
    return settings.MQTT_BROKER_AUTH == "dynsec"


def _queue(task: str, *args: Any) -> None:
    # By name, as the prediction service queues training; Celery's eager mode (tests) runs
    # it in place. The tenant-aware app stamps the current schema on the message.
    if app.conf.task_always_eager:
        app.tasks[task].apply(args=args)
    else:
        app.send_task(task, args=args)


def broker_client_create_on_commit(*, token_pk: int, raw: str) -> None:
    """After the token commits, its broker client is made by a task that retries through a
    broker outage. The plaintext rides in the message encrypted (FIELD_ENCRYPTION_KEYS):
    the Celery broker never holds a usable token."""
    if broker_sync_enabled():
        sealed = encrypt(raw)
        transaction.on_commit(lambda: _queue(CREATE_TASK, token_pk, sealed), robust=True)


def broker_client_delete_on_commit(*, device_id: str, prefix: str) -> None:
    if broker_sync_enabled():
        username = device_client_username(
            schema=connection.schema_name, device_id=device_id, prefix=prefix
        )
        transaction.on_commit(lambda: _queue(DELETE_TASK, username), robust=True)


def _check(answers: list[Any], tolerated: tuple[str, ...]) -> None:
    for answer in answers:
        if answer.error and answer.error not in tolerated:
            raise DynsecError(f"{answer.command}: {answer.error}")


def _client_ensure(
    control: DynsecControl, *, username: str, password: str, role: dict[str, Any], textname: str
) -> None:
    """A client with this password in this role, whether or not an earlier attempt (whose
    answer was lost) made it already."""
    answers = control.run(
        [
            {"command": "createRole", **role},
            {
                "command": "createClient",
                "username": username,
                "password": password,
                "textname": textname,
                "roles": [{"rolename": role["rolename"]}],
            },
        ]
    )
    _check(answers, EXISTS)
    if not answers[1].error:
        return
    found = control.run(
        [
            {"command": "setClientPassword", "username": username, "password": password},
            {"command": "getClient", "username": username},
        ]
    )
    _check(found, ())
    roles = {entry.get("rolename") for entry in found[1].data.get("client", {}).get("roles", [])}
    if role["rolename"] not in roles:
        _check(
            control.run(
                [{"command": "addClientRole", "username": username, "rolename": role["rolename"]}]
            ),
            (),
        )


def broker_device_client_create(*, schema: str, device_id: str, prefix: str, password: str) -> str:
    """The broker client of one token (idempotent: a retry sets the same password again)."""
    username = device_client_username(schema=schema, device_id=device_id, prefix=prefix)
    acl = {
        "acltype": "publishClientSend",
        "topic": device_topic(schema=schema, device_id=device_id),
        "priority": 0,
        "allow": True,
    }
    with DynsecControl() as control:
        _client_ensure(
            control,
            username=username,
            password=password,
            role={"rolename": username, "acls": [acl]},
            textname="CMMS device token",
        )
    logger.info("mqtt_broker_client_created", username=username)
    return username


def broker_device_client_delete(*, username: str) -> None:
    """Delete one token's client and role; a device signed in with it is disconnected."""
    with DynsecControl() as control:
        _check(
            control.run(
                [
                    {"command": "deleteClient", "username": username},
                    {"command": "deleteRole", "rolename": username},
                ]
            ),
            NOT_FOUND,
        )
    logger.info("mqtt_broker_client_deleted", username=username)


def broker_bridge_client_ensure() -> str | None:
    """The bridge's own client (the login of MQTT_URL), allowed to read every device topic.

    None when MQTT_URL carries no login or signs in as the admin itself.
    """
    bridge = broker_from_url(settings.MQTT_URL)
    admin = settings.MQTT_ADMIN_USERNAME
    if not bridge.username or not bridge.password or not admin or bridge.username == admin:
        return None
    acls = [
        {"acltype": "subscribePattern", "topic": "cmms/+/+/metrics", "allow": True},
        # The plugin checks a shared subscription with its $share/<group>/ prefix.
        {"acltype": "subscribePattern", "topic": "$share/+/cmms/+/+/metrics", "allow": True},
    ]
    with DynsecControl() as control:
        _client_ensure(
            control,
            username=bridge.username,
            password=bridge.password,
            role={"rolename": BRIDGE_ROLE, "acls": acls},
            textname="CMMS MQTT bridge",
        )
    return bridge.username


@dataclass
class Reconciliation:
    kept: int = 0
    deleted: list[str] = field(default_factory=list)
    # Active tokens without a client: the plaintext is gone, a manager must rotate them.
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "deleted": self.deleted, "missing": self.missing}


def broker_clients_reconcile(
    *, expected: Callable[[], set[str]], schema: str | None = None
) -> Reconciliation:
    """Delete the broker's device clients that ``expected()`` (the usernames of every
    tenant's active tokens) lacks; report those it names that the broker lacks. Clients
    that are not device clients (the admin, the bridge, anyone else's) are left alone,
    and with ``schema`` so is every client of another tenant. Idempotent.

    The broker is listed before the tokens are read: a token made meanwhile is then at worst
    reported missing once, never deleted from the broker."""
    with DynsecControl() as control:
        answers = control.run([{"command": "listClients", "verbose": False, "count": -1}])
        _check(answers, ())
        present = {
            name
            for name in answers[0].data.get("clients", [])
            if DEVICE_CLIENT_RE.match(name) and (schema is None or name.startswith(f"{schema}/"))
        }
        wanted = expected()
        report = Reconciliation(kept=len(present & wanted), missing=sorted(wanted - present))
        for username in sorted(present - wanted):
            _check(
                control.run(
                    [
                        {"command": "deleteClient", "username": username},
                        {"command": "deleteRole", "rolename": username},
                    ]
                ),
                NOT_FOUND,
            )
            report.deleted.append(username)
    if report.deleted or report.missing:
        logger.warning("mqtt_broker_clients_reconciled", **report.as_dict())
    return report
