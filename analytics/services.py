"""Writes of maintenance budgets, each in one transaction and audited."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from analytics.models import Budget
from assets.models import Asset
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User
from core.writes import audited_delete, audited_update, locked, validate

BUDGET_FIELDS = ("asset", "work_type", "month", "amount")


def _check(budget: Budget) -> None:
    if budget.asset_id is not None and budget.work_type:
        raise InvalidInput(
            {"work_type": ["A budget is for one asset or one work type (or neither), not both."]}
        )
    if budget.month is not None and budget.month.day != 1:
        raise InvalidInput({"month": ["Give the first day of the month (e.g. 2026-03-01)."]})
    clash = Budget.objects.filter(
        asset_id=budget.asset_id, work_type=budget.work_type, month=budget.month
    ).exclude(pk=budget.pk)
    if clash.exists():
        raise InvalidInput({"month": ["This month already has a budget for the same scope."]})


@transaction.atomic
def budget_create(
    *,
    by: User | None,
    month: date,
    amount: Decimal,
    asset: Asset | None = None,
    work_type: str = "",
) -> Budget:
    """Set a month's budget for an asset, a work type, or the whole tenant."""
    budget = Budget(asset=asset, work_type=work_type or "", month=month, amount=amount)
    validate(budget)
    _check(budget)
    budget.save()
    audit_record(
        actor=by,
        action="budget.create",
        obj=budget,
        changes=changes_between({}, snapshot(budget, BUDGET_FIELDS)),
    )
    return budget


@transaction.atomic
def budget_update(*, by: User | None, budget: Budget, **fields: Any) -> Budget:
    budget = locked(budget)
    if "work_type" in fields:
        fields["work_type"] = fields["work_type"] or ""
    audited_update(
        budget, by=by, action="budget.update", fields=fields, audited=BUDGET_FIELDS, check=_check
    )
    return budget


@transaction.atomic
def budget_delete(*, by: User | None, budget: Budget) -> None:
    audited_delete(budget, by=by, action="budget.delete", audited=BUDGET_FIELDS)
