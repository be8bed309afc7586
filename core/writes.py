"""The shape every write of the product shares: validate, lock, change, audit.

Services in every app update their objects the same way: lock the row, take a
snapshot of the audited fields, apply the changes, validate, save, and record
the difference in the audit trail. ``audited_update`` is that sequence, once;
``validate`` is the one way a model's field rules become a 400.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User

M = TypeVar("M", bound=models.Model)

Changes = dict[str, dict[str, Any]]


def validate(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Field-level model validation (lengths, choices, digits, validators) as a 400.

    Relations are skipped: they arrive as model instances the caller already
    found, and the database checks them anyway (validating would cost a query
    each). Uniqueness and constraints are the services' and the database's.
    """
    relations = [f.name for f in obj._meta.fields if f.is_relation]
    try:
        obj.full_clean(
            exclude=[*exclude, *relations], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise InvalidInput(
            {field: list(messages) for field, messages in exc.message_dict.items()}
        ) from exc


def locked(obj: M) -> M:
    """The current row of ``obj``, locked until the transaction ends."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def refuse_unknown(
    fields: Mapping[str, Any],
    allowed: Collection[str],
    *,
    message: str = "This field cannot be changed.",
) -> None:
    """400 naming every field a caller may not set here."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInput({name: [message] for name in unknown})


def audited_update(
    obj: M,
    *,
    by: User | None,
    action: str,
    fields: Mapping[str, Any],
    audited: Sequence[str],
    allowed: Collection[str] | None = None,
    validate_exclude: Iterable[str] = (),
    check: Callable[[M], None] | None = None,
    save: Callable[[M], None] | None = None,
    also_changed: Changes | None = None,
) -> Changes:
    """Apply ``fields`` to ``obj``, validate, save, and audit what changed.

    ``obj`` must be the row the caller has locked (see ``locked``); anything the
    caller must normalise or check against other rows (a code still free, a
    parent that makes no loop) it does before calling. ``allowed`` (default:
    ``audited``) names what may be set; anything else is a 400. ``check`` runs
    after validation, before saving, for rules that look at the whole object;
    ``save`` replaces a plain ``obj.save()`` (for partial saves).
    ``also_changed`` is what changed beside the row itself (its many-to-many
    members, say): it counts as a change and goes into the same audit entry.

    Nothing is written when nothing changed (a repeated PUT, a re-imported row):
    the returned changes are empty and no audit entry is made.
    """
    refuse_unknown(fields, audited if allowed is None else allowed)
    before = snapshot(obj, audited)
    for name, value in fields.items():
        setattr(obj, name, value)
    if not changes_between(before, snapshot(obj, audited)) and not also_changed:
        return {}
    validate(obj, exclude=validate_exclude)
    if check is not None:
        check(obj)
    if save is None:
        obj.save()
    else:
        save(obj)
    changes = {**changes_between(before, snapshot(obj, audited)), **(also_changed or {})}
    if changes:
        audit_record(actor=by, action=action, obj=obj, changes=changes)
    return changes


def audited_create(obj: M, *, by: User | None, action: str, audited: Sequence[str]) -> M:
    """Validate and save a new ``obj`` and audit its audited fields as created."""
    validate(obj)
    obj.save()
    audit_record(
        actor=by, action=action, obj=obj, changes=changes_between({}, snapshot(obj, audited))
    )
    return obj


def audited_delete(
    obj: models.Model, *, by: User | None, action: str, audited: Sequence[str]
) -> None:
    """Audit the last state of ``obj`` and delete it (in the caller's transaction)."""
    audit_record(
        actor=by, action=action, obj=obj, changes=changes_between(snapshot(obj, audited), {})
    )
    obj.delete()
