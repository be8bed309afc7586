"""Connections: managers set them up; every change is audited, credentials never."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from cmms_sync.adapters import AuthRefused, VendorError, adapter_for
from cmms_sync.adapters.registry import CREDENTIAL_FIELDS
from cmms_sync.choices import OPEN_RUN_STATUSES, CmmsType, Direction, Health
from cmms_sync.models import Connection, SyncLink, SyncRun
from core.audit import audit_record
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.outbound import OutboundRefused, check_target
from core.writes import audited_delete, audited_update, locked, validate

# What the audit trail shows of a connection: never its credentials.
CONNECTION_FIELDS = (
    "cmms_type",
    "connection_name",
    "api_url",
    "options",
    "direction",
    "schedule_minutes",
    "active",
)
SECRET_CHANGED = {"before": "***", "after": "*** (changed)"}
MAX_OPTION_KEYS = 50


def _check_url(api_url: str) -> str:
    api_url = (api_url or "").strip().rstrip("/")
    try:
        check_target(api_url)
    except OutboundRefused as exc:
        raise InvalidInput({"api_url": [exc.reason]}) from exc
    return api_url


def _check_credentials(cmms_type: str, credentials: Any) -> dict[str, str]:
    if not isinstance(credentials, dict):
        raise InvalidInput({"credentials": ["An object of the vendor's credentials."]})
    needed = CREDENTIAL_FIELDS[cmms_type]
    unknown = sorted(set(credentials) - set(needed))
    missing = [name for name in needed if not credentials.get(name)]
    errors = []
    if unknown:
        errors.append(f"Unknown for {cmms_type}: {', '.join(unknown)}.")
    if missing:
        errors.append(f"{cmms_type} needs {', '.join(needed)}; missing: {', '.join(missing)}.")
    bad = [name for name in needed if not isinstance(credentials.get(name, ""), str)]
    if bad:
        errors.append(f"Each credential is a string: {', '.join(bad)}.")
    if errors:
        raise InvalidInput({"credentials": errors})
    return {name: credentials[name] for name in needed}


def _check_options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict) or len(options) > MAX_OPTION_KEYS:
        raise InvalidInput({"options": [f"An object of at most {MAX_OPTION_KEYS} settings."]})
    size = options.get("page_size")
    if size is not None and (
        not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 10_000
    ):
        raise InvalidInput({"options": ["page_size is a whole number from 1 to 10000."]})
    return options


@transaction.atomic
def connection_create(
    *,
    by: User | None,
    cmms_type: str,
    api_url: str,
    connection_name: str,
    credentials: dict[str, Any],
    options: dict[str, Any] | None = None,
    direction: str = Direction.PULL,
    schedule_minutes: int = 0,
    active: bool = True,
) -> Connection:
    """A new connection; its URL must pass the outbound guard, its credentials are encrypted."""
    if cmms_type not in CmmsType.values:
        raise InvalidInput({"cmms_type": [f'"{cmms_type}" is not a valid choice.']})
    connection = Connection(
        cmms_type=cmms_type,
        api_url=_check_url(api_url),
        connection_name=(connection_name or "").strip(),
        credentials=_check_credentials(cmms_type, credentials),
        options=_check_options(options),
        direction=direction,
        schedule_minutes=schedule_minutes,
        active=active,
    )
    validate(connection)
    connection.save()
    audit_record(
        actor=by,
        action="cmms_connection.create",
        obj=connection,
        changes={
            **{
                name: {"before": None, "after": getattr(connection, name)}
                for name in CONNECTION_FIELDS
            },
            "credentials": SECRET_CHANGED,
        },
    )
    return connection


@transaction.atomic
def connection_update(*, by: User | None, connection: Connection, **fields: Any) -> Connection:
    """Change a connection. New credentials replace the stored ones whole; the type stays."""
    connection = locked(connection)
    if "cmms_type" in fields and fields["cmms_type"] != connection.cmms_type:
        raise InvalidInput({"cmms_type": ["A connection keeps its type; create another one."]})
    fields.pop("cmms_type", None)
    secret_changes: dict[str, dict[str, Any]] = {}
    if "credentials" in fields:
        connection.credentials = _check_credentials(connection.cmms_type, fields.pop("credentials"))
        secret_changes["credentials"] = SECRET_CHANGED
    if "api_url" in fields:
        fields["api_url"] = _check_url(fields["api_url"])
    if "options" in fields:
        fields["options"] = _check_options(fields["options"])
    if "connection_name" in fields:
        fields["connection_name"] = (fields["connection_name"] or "").strip()
    audited_update(
        connection,
        by=by,
        action="cmms_connection.update",
        fields=fields,
        audited=CONNECTION_FIELDS,
        also_changed=secret_changes,
    )
    return connection


@transaction.atomic
def connection_delete(*, by: User | None, connection: Connection) -> None:
    """Remove a connection with its mappings and runs; synced records stay ours."""
    audited_delete(
        locked(connection), by=by, action="cmms_connection.delete", audited=CONNECTION_FIELDS
    )


def connection_set_health(connection: Connection, *, ok: bool, detail: str = "") -> None:
    Connection.objects.filter(pk=connection.pk).update(
        health=Health.OK if ok else Health.FAILING,
        health_detail=detail[:500],
        updated_at=timezone.now(),
    )


def connection_test(*, connection: Connection) -> tuple[bool, str]:
    """Check the URL, reachability and credentials; (ok, a sentence for a person)."""
    try:
        check_target(connection.api_url)
    except OutboundRefused as exc:
        ok, detail = False, exc.reason
    else:
        adapter = adapter_for(
            cmms_type=connection.cmms_type,
            api_url=connection.api_url,
            credentials=connection.credentials,
            options=connection.options,
        )
        try:
            adapter.check()
            ok, detail = True, "Connected; the credentials were accepted."
        except AuthRefused as exc:
            ok, detail = False, str(exc)
        except VendorError as exc:
            ok, detail = False, f"The vendor cannot be reached: {exc}"
        finally:
            adapter.close()
            adapter.http.close()
    connection_set_health(connection, ok=ok, detail="" if ok else detail)
    return ok, detail


def seed_demo_connection(*, stdout: Any) -> None:
    """An inactive example connection with one finished run, to show the pages.

    Written directly: the guard would resolve the vendor's host, and demo data must
    not depend on the network. Inactive, so the scheduler never calls it.
    """
    from cmms_sync.models import SyncRun

    connection, created = Connection.objects.get_or_create(
        connection_name="UpKeep (example)",
        defaults={
            "cmms_type": CmmsType.UPKEEP,
            "api_url": "https://api.onupkeep.com",
            "credentials": {"email": "maintenance@example.com", "password": "change-me"},
            "direction": Direction.PULL,
            "active": False,
        },
    )
    if created:
        SyncRun.objects.create(
            connection=connection,
            entity="work_orders",
            direction=Direction.PULL,
            status="partial",
            counts={"created": 12, "updated": 3, "skipped": 40, "failed": 1, "pushed": 0},
            errors=[{"external_id": "8412", "error": "title is required and missing."}],
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        stdout.write("Demo CMMS connection created.\n")


@transaction.atomic
def connection_pending_creations_release(*, by: User | None, connection: Connection) -> int:
    """A person has looked at the vendor: the creations whose answers were lost are not
    there (or were removed). They stop being pending, and the next push creates them.

    For vendors that cannot be searched by our number (MaintainX), this and linking the
    record by its ``external_ref`` are the two ways a lost answer is settled."""
    connection = locked(connection)
    if SyncRun.objects.filter(connection=connection, status__in=OPEN_RUN_STATUSES).exists():
        # A push at work may be sending those very records.
        raise Conflict(
            "A sync of this connection is queued or running; try again when it ends.",
            "sync_in_progress",
        )
    pending = SyncLink.objects.filter(
        connection=connection, external_id="", create_started_at__isnull=False
    )
    released = sorted(f"{entity}:{pk}" for entity, pk in pending.values_list("entity", "object_id"))
    if not released:
        return 0
    pending.delete()
    audit_record(
        actor=by,
        action="cmms_connection.pending_creations_release",
        obj=connection,
        changes={"pending_creations": {"before": released, "after": []}},
    )
    return len(released)
