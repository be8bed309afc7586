"""Readings live in monthly partitions: a new tenant (cloned from the template) has
them, the job creates months ahead (taking stranded rows out of the default partition)
and drops whole months past retention. Idempotent."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from iot.partitions import existing_months, month_of, partitions_maintain
from iot.services.ingestion import readings_ingest
from iot.tasks import maintain_partitions
from tests.assets.factories import AssetFactory
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def test_a_new_tenant_gets_partitions_and_takes_readings(monkeypatch):
    monkeypatch.setenv("TENANT_ADMIN_PASSWORD", PASSWORD)
    call_command(
        "provision_tenant",
        "sensors",
        domain="sensors.localhost",
        name="Sensor Works",
        admin_email="boss@sensors.test",
        stdout=io.StringIO(),
    )

    with schema_context("sensors"):
        assert month_of(timezone.now()) in existing_months()
        AssetFactory(asset_id="PUMP-1")
        result = readings_ingest(
            items=[
                {
                    "device_id": "PUMP-1",
                    "metric": "t",
                    "value": 1,
                    "timestamp": timezone.now().isoformat(),
                }
            ]
        )
        assert result.accepted == 1
        assert _count(f"iot_reading_p{timezone.now():%Y%m}") == 1
        assert _count("iot_reading_default") == 0
        # The clone keeps the streams' room for in-place updates.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reloptions FROM pg_class WHERE oid = 'iot_metricstream'::regclass"
            )
            assert cursor.fetchone()[0] == ["fillfactor=50"]


def test_the_job_creates_months_ahead_moves_stranded_rows_and_drops_old_months(in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    later = datetime(2031, 5, 10, tzinfo=UTC)
    with connection.cursor() as cursor:
        # A month without a partition yet: the row waits in the default partition.
        cursor.execute(
            "INSERT INTO iot_reading (device_id, metric, ts, value) VALUES (%s, 't', %s, 1)",
            [pump.pk, later],
        )
    assert _count("iot_reading_default") == 1

    report = partitions_maintain(now=later, months_ahead=2, retention_days=30)

    assert report.created == ["iot_reading_p203105", "iot_reading_p203106", "iot_reading_p203107"]
    assert report.moved_rows == 1
    assert _count("iot_reading_default") == 0
    assert _count("iot_reading_p203105") == 1
    # Every month that ended more than 30 days before went, whole.
    assert all(month >= datetime(2031, 4, 1).date() for month in existing_months())
    assert f"iot_reading_p{timezone.now():%Y%m}" in report.dropped

    again = partitions_maintain(now=later, months_ahead=2, retention_days=30)
    assert again.created == []
    assert again.dropped == []


def test_the_task_keeps_the_current_months(in_alpha, settings):
    settings.IOT_PARTITION_MONTHS_AHEAD = 4
    report = maintain_partitions()

    months = existing_months()
    assert month_of(timezone.now()) in months
    assert len(report["created"]) <= 4
    assert len([m for m in months if m >= month_of(timezone.now())]) == 5
