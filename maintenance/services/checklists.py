"""Checklist steps: adding them, and recording what was found at each one."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from assets.models import Meter
from assets.services.meters import meter_reading_record
from core.audit import audit_record
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.writes import locked
from maintenance.choices import FINAL_STATUSES, HistoryKind, InspectionResult, StepKind
from maintenance.models import WorkOrder, WorkOrderStep
from maintenance.services.history import history_record
from maintenance.services.work_orders import checklist_step_build


def _refuse_if_closed(work_order: WorkOrder) -> None:
    if work_order.status in FINAL_STATUSES:
        raise Conflict(
            f"This work order is {work_order.status}; its checklist is closed.", "work_order_closed"
        )


@transaction.atomic
def step_add(
    *,
    by: User | None,
    work_order: WorkOrder,
    title: str,
    kind: str = StepKind.TASK,
    order: int | None = None,
    instructions: str = "",
    expected_min: Decimal | None = None,
    expected_max: Decimal | None = None,
    unit: str = "",
    meter: Meter | None = None,
) -> WorkOrderStep:
    """Add a step to a work order's checklist (at the end unless ``order`` is given)."""
    work_order = locked(work_order)
    _refuse_if_closed(work_order)
    if order is None:
        last = work_order.steps.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 1
    step = checklist_step_build(
        work_order,
        order,
        {
            "title": title,
            "kind": kind,
            "instructions": instructions,
            "expected_min": expected_min,
            "expected_max": expected_max,
            "unit": unit,
            "meter": meter,
        },
    )
    step.save()
    audit_record(
        actor=by,
        action="work_order.add_step",
        obj=work_order,
        changes={"step": {"before": None, "after": title}},
    )
    return step


@transaction.atomic
def step_delete(*, by: User | None, step: WorkOrderStep) -> None:
    step = WorkOrderStep.objects.select_related("work_order").get(pk=step.pk)
    _refuse_if_closed(step.work_order)
    audit_record(
        actor=by,
        action="work_order.remove_step",
        obj=step.work_order,
        changes={"step": {"before": step.title, "after": None}},
    )
    step.delete()


def _number(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput({"result": ["Enter a number."]}) from exc
    if not value.is_finite() or abs(value) >= Decimal("1e14"):
        raise InvalidInput({"result": ["Enter a finite number below 10^14."]})
    return value


@transaction.atomic
def step_record(
    *,
    by: User | None,
    step: WorkOrderStep,
    done: bool | None = None,
    result: Any = None,
    notes: str | None = None,
) -> WorkOrderStep:
    """Record a step's outcome.

    Inspection: ``result`` is pass, fail or n_a (fail marks the step failed).
    Number: a number; outside ``expected_min``..``expected_max`` marks it failed.
    Text: any text. Meter: the reading, recorded on the asset's meter as well.
    Giving a result marks the step done.
    """
    step = (
        WorkOrderStep.objects.select_for_update(of=("self",))
        .select_related("work_order", "meter")
        .get(pk=step.pk)
    )
    work_order = step.work_order
    _refuse_if_closed(work_order)
    if result is not None and result != "":
        _apply_result(step, result, by=by)
        step.done = True if done is None else done
    elif done is not None:
        if done and step.kind != StepKind.TASK and not step.result:
            raise InvalidInput(
                {"result": [f"A {step.kind} step is done when its result is recorded."]}
            )
        step.done = done
    if notes is not None:
        step.notes = notes
    step.done_at = timezone.now() if step.done else None
    step.done_by = (by if by is not None and by.is_authenticated else None) if step.done else None
    step.save()
    audit_record(
        actor=by,
        action="work_order.record_step",
        obj=work_order,
        changes={
            step.title[:80]: {
                "before": None,
                "after": {"done": step.done, "result": step.result, "failed": step.failed},
            }
        },
    )
    if step.done:
        history_record(
            kind=HistoryKind.STEP,
            summary=f"{work_order.number}: {step.title}"
            + (f" = {step.result}" if step.result else " done"),
            work_order=work_order,
            actor=by,
            data={"step": step.pk, "result": step.result, "failed": step.failed},
        )
    return step


def _apply_result(step: WorkOrderStep, result: Any, *, by: User | None) -> None:
    if step.kind == StepKind.INSPECTION:
        value = str(result).strip().lower()
        if value not in InspectionResult.values:
            raise InvalidInput({"result": ["An inspection result is pass, fail or n_a."]})
        step.result = value
        step.failed = value == InspectionResult.FAIL
    elif step.kind in (StepKind.NUMBER, StepKind.METER):
        number = _number(result)
        step.value = number
        step.result = f"{number.normalize():f}"
        low, high = step.expected_min, step.expected_max
        step.failed = (low is not None and number < low) or (high is not None and number > high)
        if step.kind == StepKind.METER:
            if step.meter is None:
                raise InvalidInput({"result": ["This meter step has no meter to read."]})
            if step.reading_id is not None:
                raise Conflict(
                    "This meter reading was already recorded.", "reading_already_recorded"
                )
            step.reading = meter_reading_record(
                by=by,
                meter=step.meter,
                value=number,
                source="work_order",
                notes=step.work_order.number,
            )
    elif step.kind == StepKind.TEXT:
        text = str(result).strip()
        if len(text) > 2000:
            raise InvalidInput({"result": ["Keep it under 2,000 characters."]})
        step.result = text
    else:
        raise InvalidInput({"result": ["A task step is simply done or not; use `done`."]})
