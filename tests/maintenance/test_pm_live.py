"""PM generation under concurrency, interruption and the beat fan-out, with real commits.

(No django_db mark: these tests commit for real through ``committed``.)
"""

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from maintenance.models import PMScheduleAsset, WorkOrder
from maintenance.pm import generation, schedules
from tests.assets.factories import AssetFactory
from tests.live import ROOT, child_environment

pytestmark = pytest.mark.live


def daily_plans(tenant, count: int, days: int = 5):
    """``count`` assets, one daily plan each, applied since ``days`` ago: count x days occurrences due."""
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days - 1, hours=1)
    with tenant_context(tenant.tenant):
        for n in range(count):
            schedules.schedule_create(
                by=None,
                name=f"Daily round {n}",
                assets=[AssetFactory()],
                trigger_type="time_based",
                frequency="daily",
                starts_at=start,
                lead_time_days=0,
            )
        PMScheduleAsset.objects.update(created_at=start - timedelta(days=1), next_due=None)
    return count * days


def occurrences(tenant):
    with tenant_context(tenant.tenant):
        total = WorkOrder.objects.filter(schedule__isnull=False).count()
        distinct = (
            WorkOrder.objects.filter(schedule__isnull=False)
            .values("schedule", "asset", "pm_nominal")
            .distinct()
            .count()
        )
    return total, distinct


def test_two_generators_at_once_never_duplicate(committed):
    alpha = committed["alpha"]
    expected = daily_plans(alpha, 40)
    barrier = threading.Barrier(2)
    errors = []

    def generate():
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=10)
                generation.pm_generate_due(chunk_size=7)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert occurrences(alpha) == (expected, expected)


def test_a_generation_killed_midway_and_run_again_misses_nothing_and_duplicates_nothing(committed):
    alpha = committed["alpha"]
    expected = daily_plans(alpha, 120, days=5)
    command = [
        sys.executable,
        "manage.py",
        "generate_pm",
        "--tenant",
        alpha.schema,
        "--chunk-size",
        "5",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=child_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            made, _ = occurrences(alpha)
            if made >= 50:
                process.send_signal(signal.SIGKILL)  # a worker dying mid-run
                break
            time.sleep(0.05)
    finally:
        process.wait(timeout=30)
    partial, _ = occurrences(alpha)
    assert 0 < partial < expected, (partial, process.stderr.read().decode()[-2000:])

    with tenant_context(alpha.tenant):
        generation.pm_generate_due()
        generation.pm_generate_due()

    assert occurrences(alpha) == (expected, expected)


def test_the_beat_job_generates_in_every_tenant(committed, celery_worker):
    from tenants.tasks import fan_out

    expected = {schema: daily_plans(tenant, 3, days=2) for schema, tenant in committed.items()}

    fan_out.delay("maintenance.tasks.generate_preventive_maintenance", 0)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(occurrences(committed[s])[0] == n for s, n in expected.items()):
            break
        time.sleep(0.3)
    for schema, n in expected.items():
        assert occurrences(committed[schema]) == (n, n), celery_worker.output()
