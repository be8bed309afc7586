"""Field mappings of a connection: a manager's overrides of the adapter's defaults."""

from typing import Any

from django.db import IntegrityError, transaction

from cmms_sync.choices import Entity, Transform
from cmms_sync.models import FieldMapping
from cmms_sync.services.records import ASSET_INTERNAL, SCHEDULE_INTERNAL, WORK_ORDER_INTERNAL
from core.exceptions import InvalidInput
from core.models import User
from core.writes import audited_create, audited_delete, audited_update, locked, validate

MAPPING_FIELDS = (
    "connection",
    "entity",
    "external_field",
    "internal_field",
    "transform",
    "map",
    "required",
)
INTERNAL_FIELDS: dict[str, tuple[str, ...]] = {
    Entity.WORK_ORDER: WORK_ORDER_INTERNAL,
    Entity.ASSET: ASSET_INTERNAL,
    Entity.SCHEDULE: SCHEDULE_INTERNAL,
}
TAKEN = "This connection already maps this field of this entity."


def _check(mapping: FieldMapping) -> None:
    allowed = INTERNAL_FIELDS.get(mapping.entity, ())
    if mapping.internal_field not in allowed:
        raise InvalidInput({"internal_field": [f"One of: {', '.join(allowed)}."]})
    if not isinstance(mapping.map, dict):
        raise InvalidInput({"map": ["An object: vendor value -> ours."]})
    if mapping.transform == Transform.MAP and not mapping.map:
        raise InvalidInput({"map": ["A map transform needs its table."]})
    bad = [v for v in mapping.map.values() if not isinstance(v, str | int | float | bool)]
    if bad or len(mapping.map) > 500:
        raise InvalidInput({"map": ["At most 500 entries, each to a plain value."]})


@transaction.atomic
def field_mapping_create(*, by: User | None, **fields: Any) -> FieldMapping:
    mapping = FieldMapping(**fields)
    validate(mapping)
    _check(mapping)
    if FieldMapping.objects.filter(
        connection=mapping.connection, entity=mapping.entity, internal_field=mapping.internal_field
    ).exists():
        raise InvalidInput({"internal_field": [TAKEN]})
    try:
        with transaction.atomic():
            audited_create(
                mapping, by=by, action="cmms_field_mapping.create", audited=MAPPING_FIELDS
            )
    except IntegrityError as exc:
        raise InvalidInput({"internal_field": [TAKEN]}) from exc
    return mapping


@transaction.atomic
def field_mapping_update(*, by: User | None, mapping: FieldMapping, **fields: Any) -> FieldMapping:
    mapping = locked(mapping)
    clash_fields = {"connection", "entity", "internal_field"} & set(fields)
    audited_update(
        mapping,
        by=by,
        action="cmms_field_mapping.update",
        fields=fields,
        audited=MAPPING_FIELDS,
        check=_check,
        save=lambda m: _save_unique(m, clash_fields),
    )
    return mapping


def _save_unique(mapping: FieldMapping, clash_fields: set[str]) -> None:
    if (
        clash_fields
        and FieldMapping.objects.filter(
            connection=mapping.connection,
            entity=mapping.entity,
            internal_field=mapping.internal_field,
        )
        .exclude(pk=mapping.pk)
        .exists()
    ):
        raise InvalidInput({"internal_field": [TAKEN]})
    mapping.save()


@transaction.atomic
def field_mapping_delete(*, by: User | None, mapping: FieldMapping) -> None:
    audited_delete(
        locked(mapping), by=by, action="cmms_field_mapping.delete", audited=MAPPING_FIELDS
    )
