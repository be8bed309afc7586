"""The audit trail: services call ``audit_record`` inside their transaction."""

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models

from core.context import get_request_id
from core.models import AuditEntry, User


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_json_safe(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` on ``obj`` (foreign keys by id)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _json_safe(getattr(obj, attname))
    return values


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """``{field: {"before": x, "after": y}}`` for every field whose value differs."""
    changed: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _json_safe(before.get(name)), _json_safe(after.get(name))
        if old != new:
            changed[name] = {"before": old, "after": new}
    return changed


def _entry(
    actor: User | None, action: str, obj: models.Model, changes: Mapping[str, Any] | None
) -> AuditEntry:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes=_json_safe(dict(changes or {})),
        request_id=get_request_id(),
    )


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` to ``obj``; call inside the write's transaction."""
    entry = _entry(actor, action, obj, changes)
    entry.save()
    return entry


def audit_record_many(
    *,
    actor: User | None,
    action: str,
    changes_by_object: Iterable[tuple[models.Model, Mapping[str, Any] | None]],
) -> list[AuditEntry]:
    """``audit_record`` for many objects at once, in one insert (bulk writes, imports)."""
    entries = [_entry(actor, action, obj, changes) for obj, changes in changes_by_object]
    return AuditEntry.objects.bulk_create(entries)


def _json_sql(field: models.Field, column: str) -> str:
    """SQL giving the value of ``column`` in the JSON form ``snapshot`` gives it in Python."""
    if isinstance(field, models.DateTimeField):
        # Python's isoformat: seconds, microseconds only when there are some, UTC offset.
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"to_jsonb(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"date_part('microseconds', {column})::bigint %% 1000000 <> 0 "
            f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
        )
    if isinstance(field, models.DecimalField | models.DateField | models.UUIDField):
        return f"to_jsonb({column}::text)"
    if isinstance(field, models.JSONField):
        return column
    return f"to_jsonb({column})"


def audit_created_rows(
    *,
    actor: User | None,
    action: str,
    model: type[models.Model],
    pks: Iterable[int],
    fields: Iterable[str],
    repr_sql: str,
) -> None:
    """``audit_record`` of creation for many rows at once, written by the database.

    Each entry's changes are what ``changes_between({}, snapshot(obj, fields))``
    gives for the row as stored: every field that is not null, from null to its
    value. ``repr_sql`` is the SQL of ``str(obj)`` over the row alias ``t``. One
    statement however many rows, nothing shipped from Python but their ids.
    """
    table = model._meta.db_table
    changes = " || ".join(
        f"CASE WHEN t.\"{field.column}\" IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object("
        f"'{name}', jsonb_build_object('before', NULL, 'after', "
        f"{_json_sql(field, f't.{chr(34)}{field.column}{chr(34)}')})) END"
        for name in fields
        for field in [model._meta.get_field(name)]
    )
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO core_auditentry
                (created_at, actor_id, actor_username, action, object_type, object_id,
                 object_repr, changes, request_id)
            SELECT now(), %(actor)s, %(username)s, %(action)s, %(type)s, t.id::text,
                   left({repr_sql}, 255), {changes}, %(request_id)s
            FROM "{table}" t WHERE t.id = ANY(%(ids)s)
            """,  # noqa: S608 - table, columns and expressions come from the model, not input
            {
                "actor": actor.pk if authenticated else None,
                "username": actor.get_username() if authenticated else "",
                "action": action,
                "type": model._meta.label_lower,
                "request_id": get_request_id(),
                "ids": list(pks),
            },
        )
