"""Work order templates: reusable jobs, and work orders made from them."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from assets.models import Asset, Meter
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User
from core.writes import audited_delete, audited_update, locked
from maintenance.choices import Source, StepKind
from maintenance.models import TemplatePart, TemplateStep, WorkOrder, WorkOrderTemplate
from maintenance.services.work_orders import work_order_create

TEMPLATE_FIELDS = (
    "name",
    "description",
    "work_type",
    "priority",
    "estimated_hours",
    "estimated_cost",
    "active",
)
STEP_FIELDS = (
    "order",
    "title",
    "kind",
    "instructions",
    "expected_min",
    "expected_max",
    "unit",
    "meter_name",
)


def _check_name(name: str, exclude_pk: int | None = None) -> None:
    clash = WorkOrderTemplate.objects.filter(name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"name": ["A template with this name already exists."]})


def _write_children(
    template: WorkOrderTemplate,
    steps: Iterable[dict[str, Any]] | None,
    parts: Iterable[dict[str, Any]] | None,
) -> None:
    if steps is not None:
        template.steps.all().delete()
        for order, step in enumerate(steps, start=1):
            values = {k: v for k, v in step.items() if k in STEP_FIELDS}
            values.setdefault("order", order)
            if values.get("kind") == StepKind.METER and not values.get("meter_name"):
                raise InvalidInput(
                    {"steps": ["A meter step names the meter to read (meter_name)."]}
                )
            TemplateStep.objects.create(template=template, **values)
    if parts is not None:
        template.parts.all().delete()
        seen = set()
        for line in parts:
            if line["part"].pk in seen:
                raise InvalidInput({"parts": ["List each part once."]})
            seen.add(line["part"].pk)
            TemplatePart.objects.create(
                template=template, part=line["part"], quantity=line["quantity"]
            )


@transaction.atomic
def template_create(
    *,
    by: User | None,
    name: str,
    steps: Iterable[dict[str, Any]] = (),
    parts: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> WorkOrderTemplate:
    _check_name(name)
    template = WorkOrderTemplate.objects.create(name=name.strip(), **fields)
    _write_children(template, list(steps), list(parts))
    audit_record(
        actor=by,
        action="template.create",
        obj=template,
        changes=changes_between({}, snapshot(template, TEMPLATE_FIELDS)),
    )
    return template


@transaction.atomic
def template_update(
    *,
    by: User | None,
    template: WorkOrderTemplate,
    steps: Iterable[dict[str, Any]] | None = None,
    parts: Iterable[dict[str, Any]] | None = None,
    **fields: Any,
) -> WorkOrderTemplate:
    """Change a template; ``steps`` or ``parts``, when given, replace the lists."""
    template = locked(template)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        _check_name(fields["name"], exclude_pk=template.pk)
    lists = {
        name: {"before": None, "after": len(values)}
        for name, values in (("steps", steps), ("parts", parts))
        if values is not None
    }
    audited_update(
        template,
        by=by,
        action="template.update",
        fields=fields,
        audited=TEMPLATE_FIELDS,
        also_changed=lists,
    )
    _write_children(
        template, None if steps is None else list(steps), None if parts is None else list(parts)
    )
    return template


@transaction.atomic
def template_delete(*, by: User | None, template: WorkOrderTemplate) -> None:
    audited_delete(template, by=by, action="template.delete", audited=TEMPLATE_FIELDS)


def template_checklist(
    template_steps: Iterable[TemplateStep], meters: Mapping[str, Meter]
) -> list[dict[str, Any]]:
    """The checklist a template gives a work order on an asset with ``meters`` (by lower-case name).

    A meter step reads the asset's meter of the same name; an asset without that
    meter keeps the step as a plain number step.
    """
    steps = []
    for step in template_steps:
        values = {name: getattr(step, name) for name in STEP_FIELDS if name != "meter_name"}
        if step.kind == StepKind.METER:
            meter = meters.get(step.meter_name.lower())
            if meter is None:
                values["kind"] = StepKind.NUMBER
                values["unit"] = values["unit"] or step.meter_name
            else:
                values["meter"] = meter
        steps.append(values)
    return steps


@transaction.atomic
def work_order_from_template(
    *,
    by: User | None,
    template: WorkOrderTemplate,
    asset: Asset | None = None,
    source: str = Source.TEMPLATE,
    **overrides: Any,
) -> WorkOrder:
    """A work order with the template's checklist and planned parts."""
    if not template.active:
        raise InvalidInput({"template": ["This template is no longer in use."]})
    meters = {m.name.lower(): m for m in asset.meters.all()} if asset is not None else {}
    steps = template_checklist(template.steps.all(), meters)
    parts = [
        {"part": line.part, "quantity_planned": line.quantity}
        for line in template.parts.select_related("part")
    ]
    fields: dict[str, Any] = {
        "title": template.name,
        "description": template.description,
        "work_type": template.work_type,
        "priority": template.priority,
        "estimated_hours": template.estimated_hours,
        "asset": asset,
    }
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return work_order_create(
        by=by, source=source, template=template, steps=steps, parts=parts, **fields
    )
