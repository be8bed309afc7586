"""Human work order numbers (WO-000123) from a sequence in each tenant's schema.

A sequence hands out numbers without locks, so concurrent creations never wait
on each other or collide; a rolled-back creation leaves a gap, which is fine.
"""

import re

from django.db import connection

SEQUENCE = "maintenance_work_order_number"
PREFIX = "WO-"
NUMBER_RE = re.compile(r"^WO-(\d{1,12})$")


def next_work_order_numbers(count: int) -> list[str]:
    """``count`` new numbers, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
        return [f"{PREFIX}{value:06d}" for (value,) in cursor.fetchall()]


def next_work_order_number() -> str:
    return next_work_order_numbers(1)[0]


def reserve_up_to(number: str) -> None:
    """Make sure the sequence never hands out ``number`` (an imported one) again."""
    match = NUMBER_RE.match(number)
    if not match:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(%s, GREATEST(%s, "
            "(SELECT last_value FROM maintenance_work_order_number)))",
            [SEQUENCE, int(match.group(1))],
        )
