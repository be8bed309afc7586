"""Writes of the maintenance app: every one in a transaction, audited, recorded in the
maintenance history and announced with events after commit."""

from maintenance.services.attachments import attachment_add, attachment_delete
from maintenance.services.checklists import step_add, step_delete, step_record
from maintenance.services.costs import (
    PartUse,
    labor_add,
    other_cost_add,
    work_order_part_plan,
    work_order_recompute_costs,
)
from maintenance.services.requests import (
    work_request_approve,
    work_request_create,
    work_request_reject,
)
from maintenance.services.templates import (
    template_create,
    template_delete,
    template_update,
    work_order_from_template,
)
from maintenance.services.work_orders import (
    comment_add,
    work_order_assign,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_delete,
    work_order_hold,
    work_order_schedule,
    work_order_start,
    work_order_transition,
    work_order_update,
)

__all__ = [
    "PartUse",
    "attachment_add",
    "attachment_delete",
    "comment_add",
    "labor_add",
    "other_cost_add",
    "step_add",
    "step_delete",
    "step_record",
    "template_create",
    "template_delete",
    "template_update",
    "work_order_assign",
    "work_order_cancel",
    "work_order_complete",
    "work_order_create",
    "work_order_delete",
    "work_order_from_template",
    "work_order_hold",
    "work_order_part_plan",
    "work_order_recompute_costs",
    "work_order_schedule",
    "work_order_start",
    "work_order_transition",
    "work_order_update",
    "work_request_approve",
    "work_request_create",
    "work_request_reject",
]
