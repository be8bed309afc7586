import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from rest_framework.utils.encoders import JSONEncoder

from core.events import rendered

PAYLOADS = [
    {"id": 1, "title": "Pump", "ok": True, "none": None, "ratio": 0.25},
    {"at": datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)},
    {"at": datetime.datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin"))},
    {"at": datetime.datetime(2026, 3, 1, 8, 30)},
    {"day": datetime.date(2026, 3, 1), "cost": decimal.Decimal("12.50")},
    {"ref": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"steps": [{"after_minutes": 30, "notify_roles": ("manager",)}], "nested": [[1, 2], (3,)]},
    {1: "integer key", None: "null key"},
    {"duration": datetime.timedelta(hours=2), "when": datetime.time(8, 0)},
    {"nan": float("nan")},
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_rendered_is_what_the_json_round_trip_gives(payload):
    expected = json.loads(json.dumps(payload, cls=JSONEncoder))
    # NaN never equals itself: compare the texts.
    assert json.dumps(rendered(payload), sort_keys=True) == json.dumps(expected, sort_keys=True)
