"""What the SLA app tells the world.

``clock_payload`` is a work order's ``sla`` object (its payload slot, see
``maintenance.events``); ``violation_payload`` is a violation as
``GET /api/v1/sla/violations/{id}/`` returns it and as ``sla:violation`` carries it;
``warning_row_payload`` is what ``sla:warning`` carries.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from core.events import Event, publish_many
from sla.choices import ClockState, CrossingKind
from sla.models import ClockCrossing, WorkOrderClock

WARNING = "sla:warning"
VIOLATION = "sla:violation"
ESCALATION = "sla:escalation"


def clock_state(
    *, warn_at: datetime, due_at: datetime, stopped_at: datetime | None, now: datetime
) -> str:
    """ok | warning | breached while running (as of ``now``); met | breached once stopped."""
    if stopped_at is not None:
        return ClockState.MET if stopped_at <= due_at else ClockState.BREACHED
    if now >= due_at:
        return ClockState.BREACHED
    if now >= warn_at:
        return ClockState.WARNING
    return ClockState.OK


def clock_payload(clock: WorkOrderClock | None, now: datetime) -> dict[str, Any] | None:
    """A work order's ``sla`` object; null when no policy applies."""
    if clock is None:
        return None
    # A paused or cancelled clock stands still where it stopped.
    standing = min(
        (moment for moment in (clock.paused_at, clock.cancelled_at) if moment), default=now
    )
    return {
        "policy": clock.policy_id,
        "response_due_at": clock.response_due_at,
        "resolution_due_at": clock.resolution_due_at,
        "responded_at": clock.responded_at,
        "resolved_at": clock.resolved_at,
        "response_state": clock_state(
            warn_at=clock.response_warn_at,
            due_at=clock.response_due_at,
            stopped_at=clock.responded_at,
            now=standing,
        ),
        "resolution_state": clock_state(
            warn_at=clock.resolution_warn_at,
            due_at=clock.resolution_due_at,
            stopped_at=clock.resolved_at,
            now=standing,
        ),
        "paused": clock.paused_at is not None,
    }


class CrossingRow(NamedTuple):
    """A crossing as the monitor reads it back from its own statements (no model needed)."""

    id: int
    work_order_id: int
    work_order_number: str
    policy_id: int
    clock: str
    kind: str
    due_at: datetime
    crossed_at: datetime
    escalation_level: int


def row_of(crossing: ClockCrossing) -> CrossingRow:
    """The row of a crossing loaded with its work order."""
    return CrossingRow(
        crossing.pk,
        crossing.work_order_id,
        crossing.work_order.number,
        crossing.policy_id,
        crossing.clock,
        crossing.kind,
        crossing.due_at,
        crossing.crossed_at,
        crossing.escalation_level,
    )


def violation_row_payload(row: CrossingRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "work_order": row.work_order_id,
        "work_order_number": row.work_order_number,
        "kind": row.clock,
        "policy": row.policy_id,
        "due_at": row.due_at,
        "breached_at": row.crossed_at,
        "escalated": row.escalation_level > 0,
        "escalation_level": row.escalation_level,
    }


def violation_payload(violation: ClockCrossing) -> dict[str, Any]:
    """A violation as its detail endpoint returns it (load ``work_order`` with it)."""
    return violation_row_payload(row_of(violation))


def warning_row_payload(row: CrossingRow) -> dict[str, Any]:
    """What ``sla:warning`` says: which clock of which work order is near its due time."""
    return {
        "id": row.id,
        "work_order": row.work_order_id,
        "work_order_number": row.work_order_number,
        "kind": row.clock,
        "policy": row.policy_id,
        "due_at": row.due_at,
        "warned_at": row.crossed_at,
    }


def announce_crossings(rows: Sequence[CrossingRow]) -> None:
    """``sla:warning`` / ``sla:violation`` for crossings just recorded, after commit."""
    publish_many(
        [
            Event(VIOLATION, violation_row_payload(row))
            if row.kind == CrossingKind.VIOLATION
            else Event(WARNING, warning_row_payload(row))
            for row in rows
        ]
    )
