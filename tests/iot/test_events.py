"""The IoT events carry exactly what their endpoints return, once per anomaly and per run,
to the tenant's own subscribers (delivered for real through Redis pub/sub)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from iot.api.serializers import AnomalySerializer, DiagnosticRunSerializer
from iot.services.ingestion import readings_ingest
from tests.assets.factories import AssetFactory
from tests.core.test_events import PubSubListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(test_tenants):
    listening = PubSubListener(test_tenants.values())
    yield listening
    listening.close()


def _readable(serializer_class) -> set[str]:
    return {name for name, field in serializer_class().fields.items() if not field.write_only}


def test_anomaly_and_diagnostics_events_equal_their_bodies(
    api, alpha, in_alpha, listener, django_capture_on_commit_callbacks
):
    AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(hours=1)
    normal = [1.0, 1.2, 0.9, 1.1, 1.0] * 6
    items = [
        {
            "device_id": "PUMP-1",
            "metric": "flow",
            "value": v,
            "timestamp": (start + timedelta(seconds=i)).isoformat(),
        }
        for i, v in enumerate([*normal, 20.0, 21.0])
    ]
    client = api("technician")

    with django_capture_on_commit_callbacks(execute=True):
        readings_ingest(items=items)
    with django_capture_on_commit_callbacks(execute=True):
        ran = client.post(
            "/api/v1/diagnostics/run/", {"asset_id": "PUMP-1", "test_type": "anomalies"}
        )

    events = listener.messages(wait=1.0)
    anomalies = [e for e in events if e["type"] == "iot:anomaly"]
    assert len(anomalies) == 1  # two anomalous readings, one episode
    assert anomalies[0]["tenant"] == alpha.schema
    data = anomalies[0]["data"]
    assert data == client.get(f"/api/v1/iot/anomalies/{data['id']}/").json()
    assert set(data) == _readable(AnomalySerializer)
    [completed] = [e["data"] for e in events if e["type"] == "diagnostics:completed"]
    assert completed == ran.json()
    assert set(completed) == _readable(DiagnosticRunSerializer)
