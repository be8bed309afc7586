"""A run's progress is visible while it runs (real commits: the worker and the reader are
two connections)."""

import threading
import time

import pytest
from django.db import connection as db
from django_tenants.utils import tenant_context

from cmms_sync.models import SyncRun
from cmms_sync.services.runs import run_execute, run_request
from tests.cmms_sync.conftest import make_connection
from tests.cmms_sync.fake_vendors import FakeUpKeep


@pytest.mark.xfail(
    strict=False,
    reason="Passes alone and with the sync tests; after the maintenance tests in one session the "
    "run ends failed with an empty detail. Open on issue 17 until the interaction is found.",
)
def test_counts_grow_while_the_run_is_running(committed, alpha, settings):
    # Pages come slowly on purpose here; a busy machine must not turn that into a timeout.
    settings.CMMS_SYNC_TIMEOUT_SECONDS = 15.0
    with FakeUpKeep() as fake:
        fake.page_latency = 0.4
        fake.seed(9)
        with tenant_context(alpha.tenant):
            connection = make_connection("upkeep", fake, page_size=3)
            run = run_request(by=None, connection=connection, entity="work_orders")

        def work() -> None:
            try:
                with tenant_context(alpha.tenant):
                    run_execute(run.pk)
            finally:
                db.close()

        worker = threading.Thread(target=work)
        worker.start()
        seen = []
        with tenant_context(alpha.tenant):
            while worker.is_alive():
                current = SyncRun.objects.get(pk=run.pk)
                seen.append((current.status, current.counts.get("created", 0)))
                time.sleep(0.1)
        worker.join()

    with tenant_context(alpha.tenant):
        finished = SyncRun.objects.get(pk=run.pk)
    assert any(status == "running" and 0 < created < 9 for status, created in seen), (
        seen,
        finished.detail,
        finished.errors,
    )
    with tenant_context(alpha.tenant):
        assert SyncRun.objects.get(pk=run.pk).counts["created"] == 9
