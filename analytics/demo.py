"""Demo budgets: a monthly maintenance budget for the plant and for its breakdown work."""

from datetime import date
from decimal import Decimal
from typing import Any

from analytics.models import Budget
from analytics.services import budget_create

MONTHS_BACK = 12


def seed_demo_budgets(*, stdout: Any) -> None:
    if Budget.objects.exists():
        stdout.write("  analytics: budgets already present")
        return
    today = date.today()
    made = 0
    for back in range(MONTHS_BACK + 1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        first = date(year, month + 1, 1)
        budget_create(by=None, month=first, amount=Decimal("60000"))
        budget_create(by=None, month=first, work_type="corrective", amount=Decimal("18000"))
        made += 2
    stdout.write(f"  analytics: {made} monthly budgets")
