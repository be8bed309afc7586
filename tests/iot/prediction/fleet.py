"""A synthetic degrading fleet: daily readings of two metrics rising towards failure."""

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from assets.services.reliability import failure_record
from iot.services.ingestion import readings_ingest
from tests.assets.factories import AssetFactory


def readings(code: str, days: int, start: datetime, life: int, seed: int) -> list[dict]:
    """``days`` daily readings of an asset that fails ``life`` days after ``start``."""
    rng = np.random.default_rng(seed)
    out = []
    for day in range(days):
        wear = float(np.exp((day - life) / 12.0))
        moment = (start + timedelta(days=day)).isoformat()
        out.append(
            {
                "device_id": code,
                "metric": "bearing_temp",
                "value": round(60 + 30 * wear + float(rng.normal(0, 0.4)), 3),
                "unit": "C",
                "timestamp": moment,
            }
        )
        out.append(
            {
                "device_id": code,
                "metric": "vibration_rms",
                "value": round(2 + 4 * wear + float(rng.normal(0, 0.05)), 4),
                "unit": "mm/s",
                "timestamp": moment,
            }
        )
    return out


def run_to_failure_fleet(count: int, *, prefix: str = "PUMP", seed: int = 0) -> list:
    """``count`` assets each with a life of 50-90 days ending in a recorded failure."""
    rng = np.random.default_rng(seed)
    now = timezone.now().replace(microsecond=0)
    assets = []
    for i in range(count):
        life = int(rng.integers(50, 90))
        code = f"{prefix}-{i:02d}"
        asset = AssetFactory(asset_id=code)
        start = now - timedelta(days=200 + i)
        result = readings_ingest(items=readings(code, life + 1, start, life, seed + i))
        assert result.accepted == 2 * (life + 1), result.rejected
        failure_record(by=None, asset=asset, occurred_at=start + timedelta(days=life))
        assets.append(asset)
    return assets


def probe(code: str, *, days_before_failure: int, life: int = 80, seed: int = 99):
    """An asset still running, ``days_before_failure`` days from failing at its latest reading."""
    asset = AssetFactory(asset_id=code)
    now = timezone.now().replace(microsecond=0)
    seen = life - days_before_failure
    start = now - timedelta(days=seen, hours=1)
    result = readings_ingest(items=readings(code, seen + 1, start, life, seed))
    assert result.accepted == 2 * (seen + 1), result.rejected
    return asset
