"""How the SLA app follows work orders (see ``core.reactions``), and its slot in their payload.

Every reaction runs in the transaction of the maintenance write that caused it,
so a work order and its clocks always commit together.
"""

from core.reactions import reacts_to
from maintenance.events import (
    WorkOrderChanged,
    WorkOrdersCreated,
    WorkOrderStatusChanged,
    fill_payload_slot,
)
from sla.events import clock_payload
from sla.services.clocks import clock_follow_priority, clock_follow_status, clock_of, clocks_apply

# The work order's `sla` object, read from its clocks (loaded with it: one join).
fill_payload_slot(
    "sla",
    build=lambda work_order, now: clock_payload(clock_of(work_order), now),
    relations=("sla_clock",),
)


@reacts_to(WorkOrdersCreated)
def apply_policies(event: WorkOrdersCreated) -> None:
    """New work orders get the clocks of the policy that applies (set-based, for PM runs)."""
    clocks_apply(event.work_orders)


@reacts_to(WorkOrderStatusChanged)
def follow_status(event: WorkOrderStatusChanged) -> None:
    """First start stops the response clock, completion the resolution clock; hold pauses."""
    clock_follow_status(event.work_order, event.at)


@reacts_to(WorkOrderChanged)
def follow_priority(event: WorkOrderChanged) -> None:
    """A new priority may mean another policy, and so other due times."""
    if "priority" in event.changes:
        clock_follow_priority(event.work_order)
