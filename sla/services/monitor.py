"""The SLA monitor: one pass finds every clock that reached a warning or due point.

A pass is one transaction of a fixed number of statements, however many work
orders are open:

1. one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` records every
   crossing of every clock whose ``next_check_at`` has come (an index range scan:
   clocks with nothing due are never read; work order numbers are looked up by key,
   because a join lets the planner hash the whole work order table);
2. one ``UPDATE`` moves those clocks' ``next_check_at`` to their next point ahead;
3. new violations get the time of their first escalation step;
4. one ``UPDATE ... RETURNING`` takes every escalation step that has come and
   raises its violation's level, and the notices are recorded in one insert;
5. the crossings are announced (``sla:warning``, ``sla:violation``) after commit.

Exactly once by construction: a crossing is unique per (work order, clock, kind),
so of two passes at once (two beats, a retried task) only one inserts it and only
that one announces it; an escalation step is taken by a conditional update of its
violation's row, so only one pass takes it. A pass that dies commits nothing, and
the next one does its work.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from maintenance.models.schedules import calendar_engine
from notifications.services.deliveries import Notice, notices_record
from sla.choices import CrossingKind
from sla.events import ESCALATION, CrossingRow, announce_crossings, violation_row_payload
from sla.models import Policy

RECORD_CROSSINGS = """
WITH recorded AS (
INSERT INTO sla_clockcrossing
    (work_order_id, policy_id, clock, kind, due_at, crossed_at, escalation_level,
     created_at, updated_at)
SELECT c.work_order_id, c.policy_id, p.clock, p.kind, p.due_at, %(now)s, 0, %(now)s, %(now)s
FROM sla_workorderclock c
CROSS JOIN LATERAL (VALUES
    ('response', 'warning', c.response_warn_at, c.response_due_at, c.responded_at),
    ('response', 'violation', c.response_due_at, c.response_due_at, c.responded_at),
    ('resolution', 'warning', c.resolution_warn_at, c.resolution_due_at, c.resolved_at),
    ('resolution', 'violation', c.resolution_due_at, c.resolution_due_at, c.resolved_at)
) AS p(clock, kind, point, due_at, stopped_at)
WHERE c.next_check_at <= %(now)s
  AND c.paused_at IS NULL AND c.cancelled_at IS NULL
  AND p.stopped_at IS NULL AND p.point <= %(now)s
ORDER BY c.work_order_id, p.clock, p.kind
ON CONFLICT (work_order_id, clock, kind) DO NOTHING
RETURNING id, work_order_id, policy_id, clock, kind, due_at, crossed_at, escalation_level
)
SELECT r.id, r.work_order_id,
       (SELECT w.number FROM maintenance_workorder w WHERE w.id = r.work_order_id),
       r.policy_id, r.clock, r.kind, r.due_at, r.crossed_at, r.escalation_level
FROM recorded r
"""

ADVANCE_CLOCKS = """
UPDATE sla_workorderclock c SET
    next_check_at = (
        SELECT min(point) FROM unnest(ARRAY[
            CASE WHEN c.responded_at IS NULL THEN c.response_warn_at END,
            CASE WHEN c.responded_at IS NULL THEN c.response_due_at END,
            CASE WHEN c.resolved_at IS NULL THEN c.resolution_warn_at END,
            CASE WHEN c.resolved_at IS NULL THEN c.resolution_due_at END
        ]) AS point
        WHERE point > %(now)s
    ),
    updated_at = %(now)s
WHERE c.next_check_at <= %(now)s AND c.paused_at IS NULL AND c.cancelled_at IS NULL
"""

# A step is taken only while its clock still runs: a late response that finally came,
# or a work order on hold (paused) or cancelled, escalates no further.
TAKE_ESCALATIONS = """
WITH taken AS (
UPDATE sla_clockcrossing x SET
    escalation_level = x.escalation_level + 1,
    next_escalation_at = NULL,
    updated_at = %(now)s
FROM sla_workorderclock c
WHERE x.next_escalation_at <= %(now)s
  AND c.work_order_id = x.work_order_id
  AND c.paused_at IS NULL AND c.cancelled_at IS NULL
  AND CASE x.clock WHEN 'response' THEN c.responded_at IS NULL
                   ELSE c.resolved_at IS NULL END
RETURNING x.id, x.work_order_id, x.policy_id, x.clock, x.kind, x.due_at, x.crossed_at,
          x.escalation_level
)
SELECT t.id, t.work_order_id,
       (SELECT w.number FROM maintenance_workorder w WHERE w.id = t.work_order_id),
       t.policy_id, t.clock, t.kind, t.due_at, t.crossed_at, t.escalation_level
FROM taken t
"""

SET_NEXT_ESCALATIONS = """
UPDATE sla_clockcrossing x SET next_escalation_at = v.at
FROM unnest(%(ids)s::bigint[], %(times)s::timestamptz[]) AS v(id, at)
WHERE x.id = v.id
"""


@dataclass(frozen=True)
class MonitorReport:
    warnings: int
    violations: int
    escalations: int

    def as_dict(self) -> dict[str, int]:
        return {
            "warnings": self.warnings,
            "violations": self.violations,
            "escalations": self.escalations,
        }


def _rows(sql: str, params: dict[str, Any]) -> list[CrossingRow]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [CrossingRow(*row) for row in cursor.fetchall()]


def _escalation_time(policy: Policy, due_at: datetime, level: int) -> datetime | None:
    """When step ``level`` (0-based) of the policy's escalation is due, if there is one:
    ``after_minutes`` of working time past the breached due time."""
    steps = policy.escalation or []
    if level >= len(steps):
        return None
    return calendar_engine(policy.calendar).add_working_time(
        due_at, timedelta(minutes=steps[level]["after_minutes"])
    )


def _schedule_escalations(rows: Sequence[CrossingRow], policies: dict[int, Policy]) -> None:
    """Set when each violation's next step is due (one statement, only where one is)."""
    ids, times = [], []
    for row in rows:
        at = _escalation_time(policies[row.policy_id], row.due_at, row.escalation_level)
        if at is not None or row.escalation_level:
            ids.append(row.id)
            times.append(at)
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(SET_NEXT_ESCALATIONS, {"ids": ids, "times": times})


def _policies(ids: set[int]) -> dict[int, Policy]:
    if not ids:
        return {}
    return Policy.objects.select_related("calendar").in_bulk(list(ids))


def monitor_pass(*, now: datetime | None = None) -> MonitorReport:
    """Record and announce every warning and violation due by ``now`` in this tenant,
    and run every escalation step that has come. Safe to run at any time, twice at once,
    or again after a failure: nothing is recorded, announced or escalated twice."""
    now = now or timezone.now()
    params = {"now": now}
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The pass's statements are short key lookups; the planner's cost guesses on a
            # busy clock table otherwise make it compile them (JIT), which costs more than
            # the whole pass.
            cursor.execute("SET LOCAL jit = off")
        new = _rows(RECORD_CROSSINGS, params)
        # Also when nothing new crossed: a clock may come due again for a point recorded
        # before (a resumed clock), and it needs its next point ahead all the same.
        with connection.cursor() as cursor:
            cursor.execute(ADVANCE_CLOCKS, params)
        escalated = _rows(TAKE_ESCALATIONS, params)
        new_violations = [row for row in new if row.kind == CrossingKind.VIOLATION]
        policies = _policies({row.policy_id for row in [*new_violations, *escalated]})
        notices = []
        for row in escalated:
            step = policies[row.policy_id].escalation[row.escalation_level - 1]
            notices.append(
                Notice(
                    event=ESCALATION,
                    data={**violation_row_payload(row), "step": step},
                    roles=tuple(step.get("notify_roles", [])),
                    user_ids=tuple(step.get("notify_users", [])),
                )
            )
        _schedule_escalations([*new_violations, *escalated], policies)
        notices_record(notices)
        # Warnings first: when both points passed since the last pass, they arrive in order.
        announce_crossings(
            sorted(new, key=lambda r: (r.kind != CrossingKind.WARNING, r.work_order_id, r.clock))
        )
    return MonitorReport(
        warnings=sum(1 for row in new if row.kind == CrossingKind.WARNING),
        violations=len(new_violations),
        escalations=len(escalated),
    )
