"""SLA policies: managers write them; each change applies to work orders created after it.

Clocks already running keep the terms they were given (see ``services.clocks``),
so editing a policy never rewrites history.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.roles import ROLE_NAMES, Role
from core.writes import audited_delete, audited_update, locked, validate
from maintenance.choices import Priority, Status
from maintenance.models import WorkOrder
from sla.models import MAX_MINUTES, Policy
from sla.services.clocks import clocks_apply

POLICY_FIELDS = (
    "name",
    "priority",
    "work_type",
    "asset_criticality",
    "response_minutes",
    "resolution_minutes",
    "calendar",
    "pause_on_hold",
    "warning_threshold_percent",
    "escalation",
    "active",
)
MAX_ESCALATION_STEPS = 10
STEP_KEYS = frozenset({"after_minutes", "notify_roles", "notify_users"})


def _step_error(index: int, message: str) -> InvalidInput:
    return InvalidInput({"escalation": [f"Step {index + 1}: {message}"]})


def escalation_steps(steps: Any) -> list[dict[str, Any]]:
    """The steps, checked and in the order they run: known roles, active people of
    this tenant, minutes from 0 up; refused with a 400 naming the step otherwise."""
    if not isinstance(steps, list):
        raise InvalidInput({"escalation": ["A list of steps."]})
    if len(steps) > MAX_ESCALATION_STEPS:
        raise InvalidInput({"escalation": [f"At most {MAX_ESCALATION_STEPS} steps."]})
    cleaned: list[dict[str, Any]] = []
    wanted_users: set[int] = set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise _step_error(index, "an object {after_minutes, notify_roles, notify_users}.")
        unknown = sorted(set(step) - STEP_KEYS)
        if unknown:
            raise _step_error(index, f"unknown field(s) {', '.join(unknown)}.")
        after = step.get("after_minutes")
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_MINUTES:
            raise _step_error(index, f"after_minutes is a whole number from 0 to {MAX_MINUTES}.")
        roles = step.get("notify_roles", [])
        users = step.get("notify_users", [])
        if not isinstance(roles, list) or any(role not in ROLE_NAMES for role in roles):
            raise _step_error(index, f"notify_roles are roles: {', '.join(sorted(ROLE_NAMES))}.")
        if not isinstance(users, list) or any(
            isinstance(user, bool) or not isinstance(user, int) for user in users
        ):
            raise _step_error(index, "notify_users are user ids.")
        if not roles and not users:
            raise _step_error(index, "notify someone (notify_roles or notify_users).")
        wanted_users |= set(users)
        cleaned.append(
            {
                "after_minutes": after,
                "notify_roles": sorted(set(roles)),
                "notify_users": sorted(set(users)),
            }
        )
    if wanted_users:
        # Ids are per tenant: a user of another tenant is simply not found here.
        found = set(
            User.objects.filter(pk__in=wanted_users, is_active=True).values_list("pk", flat=True)
        )
        missing = sorted(wanted_users - found)
        if missing:
            raise InvalidInput(
                {"escalation": [f"No active user with id {', '.join(map(str, missing))}."]}
            )
    return sorted(cleaned, key=lambda step: step["after_minutes"])


def _check(policy: Policy) -> None:
    if policy.resolution_minutes < policy.response_minutes:
        raise InvalidInput(
            {"resolution_minutes": ["The resolution time cannot be shorter than the response."]}
        )
    if Policy.objects.filter(name__iexact=policy.name).exclude(pk=policy.pk).exists():
        raise InvalidInput({"name": ["A policy with this name already exists."]})
    if policy.active:
        same_scope = Policy.objects.filter(
            active=True,
            priority=policy.priority,
            work_type=policy.work_type,
            asset_criticality=policy.asset_criticality,
        ).exclude(pk=policy.pk)
        clash = same_scope.values_list("name", flat=True).first()
        if clash is not None:
            raise InvalidInput(
                {
                    "non_field_errors": [
                        f'The active policy "{clash}" already applies to exactly these work '
                        "orders; make it inactive or narrow this one."
                    ]
                }
            )


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    for scope in ("priority", "work_type", "asset_criticality"):
        if fields.get(scope) == "":
            fields[scope] = None
    if "escalation" in fields:
        fields["escalation"] = escalation_steps(fields["escalation"] or [])
    return fields


@transaction.atomic
def policy_create(*, by: User | None, **fields: Any) -> Policy:
    """A new policy; it applies to work orders created from now on."""
    fields = _normalise(fields)
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in unknown})
    policy = Policy(**fields)
    validate(policy)
    _check(policy)
    policy.save()
    audit_record(
        actor=by,
        action="sla_policy.create",
        obj=policy,
        changes=changes_between({}, snapshot(policy, POLICY_FIELDS)),
    )
    return policy


@transaction.atomic
def policy_update(*, by: User | None, policy: Policy, **fields: Any) -> Policy:
    """Change a policy; work orders already under it keep their due times."""
    policy = locked(policy)
    audited_update(
        policy,
        by=by,
        action="sla_policy.update",
        fields=_normalise(fields),
        audited=POLICY_FIELDS,
        check=_check,
    )
    return policy


@transaction.atomic
def policy_delete(*, by: User | None, policy: Policy) -> None:
    """Remove a policy no work order was ever measured against (else: deactivate it)."""
    policy = locked(policy)
    if policy.clocks.exists() or policy.crossings.exists():
        raise Conflict(
            "Work orders were measured against this policy; make it inactive instead.",
            "policy_in_use",
        )
    audited_delete(policy, by=by, action="sla_policy.delete", audited=POLICY_FIELDS)


DEMO_POLICIES: tuple[dict[str, Any], ...] = (
    {"name": "Critical work", "priority": Priority.CRITICAL, "response": 30, "resolution": 240},
    {"name": "High priority", "priority": Priority.HIGH, "response": 120, "resolution": 960},
    {"name": "Everything else", "priority": None, "response": 480, "resolution": 4800},
)


def seed_demo_policies(*, stdout: Any, roles: Iterable[str] = (Role.MANAGER,)) -> None:
    """Demo: three policies by priority, escalating to the managers (idempotent)."""
    for spec in DEMO_POLICIES:
        if Policy.objects.filter(name=spec["name"]).exists():
            continue
        policy_create(
            by=None,
            name=spec["name"],
            priority=spec["priority"],
            response_minutes=spec["response"],
            resolution_minutes=spec["resolution"],
            pause_on_hold=True,
            escalation=[{"after_minutes": 60, "notify_roles": list(roles)}],
        )
    # The demo's work orders were seeded before these policies existed; the ones not yet
    # started get their clocks now, so the demo shows badges and a monitor with work to do.
    waiting = list(
        WorkOrder.objects.filter(
            status__in=[Status.OPEN, Status.SCHEDULED], sla_clock__isnull=True
        ).select_related("asset")
    )
    with transaction.atomic():
        clocks_apply(waiting)
    stdout.write("  SLA policies: critical, high, everything else\n")
