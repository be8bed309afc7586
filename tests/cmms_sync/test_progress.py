"""Runs carried out by the real Celery worker, as `make run` does: progress is visible
while a run works, and a second delivery of its message never works it twice."""

import time

import pytest
from django_tenants.utils import tenant_context

from cmms_sync.choices import RunStatus
from cmms_sync.models import SyncRun
from cmms_sync.services.runs import run_execute, run_request
from maintenance.models import WorkOrder
from tests.cmms_sync.conftest import make_connection
from tests.cmms_sync.fake_vendors import FakeUpKeep

pytestmark = pytest.mark.live
FINISHED = {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED}


def _watch(alpha, run_id: int, *, until, timeout: float = 60) -> list[tuple[str, int]]:
    """The run's (status, created) as the API would show them, polled until ``until``."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    with tenant_context(alpha.tenant):
        while time.monotonic() < deadline:
            current = SyncRun.objects.get(pk=run_id)
            seen.append((current.status, current.counts.get("created", 0)))
            if until(current):
                return seen
            time.sleep(0.05)
    raise AssertionError(f"the run did not get there in {timeout} s: {seen[-5:]}")


def _slow_upkeep_run(fake: FakeUpKeep, alpha) -> SyncRun:
    fake.page_latency = 0.4
    fake.seed(9)
    with tenant_context(alpha.tenant):
        connection = make_connection("upkeep", fake, page_size=3)
        # Committed: the message goes to the worker.
        return run_request(by=None, connection=connection, entity="work_orders")


def test_counts_grow_while_the_run_is_running(committed, alpha, celery_worker):
    with FakeUpKeep() as fake:
        run = _slow_upkeep_run(fake, alpha)
        seen = _watch(alpha, run.pk, until=lambda r: r.status in FINISHED)

    with tenant_context(alpha.tenant):
        finished = SyncRun.objects.get(pk=run.pk)
    assert any(status == "running" and 0 < created < 9 for status, created in seen), (
        seen,
        finished.detail,
    )
    assert finished.status == RunStatus.SUCCEEDED, finished.detail
    assert finished.counts["created"] == 9


def test_a_second_delivery_leaves_a_run_its_worker_still_holds(committed, alpha, celery_worker):
    with FakeUpKeep() as fake:
        run = _slow_upkeep_run(fake, alpha)
        _watch(alpha, run.pk, until=lambda r: r.status == RunStatus.RUNNING)
        with tenant_context(alpha.tenant):
            # The same message again, as a broker redelivers it, while the worker works.
            assert run_execute(run.pk) is None
        _watch(alpha, run.pk, until=lambda r: r.status in FINISHED)

    with tenant_context(alpha.tenant):
        finished = SyncRun.objects.get(pk=run.pk)
        assert finished.status == RunStatus.SUCCEEDED, finished.detail
        assert finished.counts["created"] == 9
        prefix = finished.connection.ref_prefix()
        assert WorkOrder.objects.filter(external_ref__startswith=prefix).count() == 9
