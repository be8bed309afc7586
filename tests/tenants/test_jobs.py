"""Periodic jobs: one beat entry per job, fanned out to each ready tenant, once each."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from config.celery import app
from core.jobs import run_once
from core.models import JobRun
from core.tasks import flush_expired_tokens
from tenants.models import Tenant
from tenants.tasks import fan_out


def seed_tokens(tenant) -> None:
    now = timezone.now()
    user = tenant.users["viewer"]
    OutstandingToken.objects.create(
        user=user,
        jti="expired",
        token="x",
        created_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
    )
    OutstandingToken.objects.create(
        user=user, jti="current", token="y", created_at=now, expires_at=now + timedelta(days=1)
    )


def test_beat_has_one_entry_per_job_and_each_fans_out():
    schedule = app.conf.beat_schedule

    assert set(schedule) == {
        "flush-expired-tokens",
        "generate-preventive-maintenance",
        "sweep-orphaned-attachments",
        "sla-monitor",
        "resend-stalled-notifications",
        "iot-partitions",
        "cmms-sync-schedule",
        "iot-retrain-models",
        "iot-predictive-work",
        "iot-broker-clients",
    }
    for entry in schedule.values():
        assert entry["task"] == "tenants.fan_out"
    assert schedule["flush-expired-tokens"]["args"][0] == "core.tasks.flush_expired_tokens"
    assert (
        schedule["generate-preventive-maintenance"]["args"][0]
        == "maintenance.tasks.generate_preventive_maintenance"
    )
    assert (
        schedule["sweep-orphaned-attachments"]["args"][0]
        == "maintenance.tasks.sweep_orphaned_attachments"
    )
    assert schedule["sla-monitor"]["args"][0] == "sla.tasks.monitor"
    assert schedule["sla-monitor"]["schedule"] == 60.0  # SLA_MONITOR_EVERY_SECONDS
    assert schedule["resend-stalled-notifications"]["args"][0] == (
        "notifications.tasks.resend_stalled"
    )
    assert schedule["iot-partitions"]["args"][0] == "iot.tasks.maintain_partitions"
    assert schedule["cmms-sync-schedule"]["args"][0] == "cmms_sync.tasks.schedule_due"
    assert schedule["iot-retrain-models"]["args"][0] == "iot.tasks.retrain_models"
    assert schedule["iot-retrain-models"]["schedule"] == 7 * 24 * 3600.0
    assert schedule["iot-predictive-work"]["args"][0] == "iot.tasks.open_predictive_work"
    assert schedule["iot-predictive-work"]["schedule"] == 3600.0  # PREDICTIVE_EVERY_SECONDS
    assert schedule["iot-broker-clients"]["args"][0] == "iot.tasks.reconcile_broker_clients"


@pytest.mark.live
def test_fanned_out_job_runs_once_in_each_ready_tenants_schema(committed, celery_worker):
    tenants = [committed["alpha"], committed["beta"]]
    for tenant in tenants:
        with tenant_context(tenant.tenant):
            seed_tokens(tenant)
    unfinished = Tenant.objects.create(schema_name="halfway", name="Not ready", ready=False)
    try:
        result = fan_out.delay("core.tasks.flush_expired_tokens", 0.5)

        runs: dict[str, list[JobRun]] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for tenant in tenants:
                with tenant_context(tenant.tenant):
                    runs[tenant.schema] = list(JobRun.objects.filter(run_key=result.id))
            if all(runs.values()):
                break
            time.sleep(0.2)
        time.sleep(1)  # give a duplicate delivery the chance to show itself
    finally:
        unfinished.delete()

    for tenant in tenants:
        with tenant_context(tenant.tenant):
            assert JobRun.objects.filter(run_key=result.id).count() == 1, celery_worker.output()
            run = JobRun.objects.get(run_key=result.id)
            assert run.name == "core.flush_expired_tokens"
            assert run.result == {"deleted": 1}
            assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["current"]


@pytest.mark.django_db
def test_a_redelivered_job_does_nothing_the_second_time(in_alpha):
    seed_tokens(in_alpha)

    first = flush_expired_tokens(run_key="beat-1")
    OutstandingToken.objects.filter(jti="current").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    second = flush_expired_tokens(run_key="beat-1")
    third = flush_expired_tokens(run_key="beat-2")

    assert first == {"deleted": 1}
    assert second == {"skipped": True}
    assert third == {"deleted": 1}
    assert JobRun.objects.filter(name="core.flush_expired_tokens").count() == 2


@pytest.mark.django_db
def test_a_failed_job_leaves_no_run_record_so_a_retry_runs_it(in_alpha):
    attempts = []

    @run_once("tests.flaky")
    def flaky() -> dict:
        attempts.append(1)
        JobRun.objects.create(
            name="tests.side-effect",
            run_key=str(len(attempts)),
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return {"attempt": len(attempts)}

    with pytest.raises(RuntimeError):
        flaky(run_key="beat-x")

    assert not JobRun.objects.filter(name__startswith="tests.").exists()  # rolled back with the job
    assert flaky(run_key="beat-x") == {"attempt": 2}
    assert flaky(run_key="beat-x") == {"skipped": True}
