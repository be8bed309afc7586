"""Benchmarks of the hot paths, each printed beside a baseline measured in the same run.

Run them all with ``make bench`` (or ``python -m bench [name ...]``). They use
their own database (``BENCH_DATABASE_URL``, default ``cmms_bench``) so they
never touch development data. They measure; they do not pass or fail.
"""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure and the baseline it should be read against."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline_value: float
    goal: str = ""

    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cmms_bench"
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from config.ensure_database import main as ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    # Bench tenants made by an earlier run follow the code's migrations too.
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_seconds(action: Callable[[int], object], runs: int) -> float:
    return statistics.median(timed(lambda i=i: action(i)) for i in range(runs))


def report(title: str, figures: list[Figure]) -> None:
    print(f"\n== {title}")
    for figure in figures:
        print(
            f"  {figure.name:<44} {figure.value:>12.3f} {figure.unit:<10}"
            f" | baseline {figure.baseline_name:<38} {figure.baseline_value:>10.3f} {figure.unit}"
            f" | ratio {figure.ratio():.2f}" + (f" | goal {figure.goal}" if figure.goal else "")
        )
