"""Demo readings: a day of a few production machines' sensors, one of them running hot."""

import math
import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from assets.models import Asset
from iot.models import MetricStream
from iot.services.ingestion import readings_ingest

# One reading per sensor every 5 minutes over the last day.
STEP = timedelta(minutes=5)
READINGS_PER_SENSOR = 288


def seed_demo_readings(*, stdout: Any, rng: random.Random | None = None) -> None:
    if MetricStream.objects.exists():
        return
    rng = rng or random.Random(13)  # noqa: S311 (demo data, not secrets)
    machines = list(Asset.objects.filter(asset_id__regex=r"^L[12]-").order_by("asset_id")[:4])
    if not machines:
        return
    start = timezone.now() - STEP * READINGS_PER_SENSOR
    items = []
    for index, machine in enumerate(machines):
        hot = index == 0
        for step in range(READINGS_PER_SENSOR):
            at = (start + step * STEP).isoformat()
            daily = math.sin(step / READINGS_PER_SENSOR * 2 * math.pi)
            temperature = 55 + 6 * daily + rng.gauss(0, 0.8)
            vibration = 0.9 + 0.1 * daily + rng.gauss(0, 0.05)
            if hot and step > READINGS_PER_SENSOR - 30:
                # The last two and a half hours: a bearing running hot and shaking.
                temperature += (step - READINGS_PER_SENSOR + 30) * 1.2
                vibration += 1.5
            items.append(
                {
                    "device_id": machine.asset_id,
                    "metric": "temperature",
                    "value": round(temperature, 2),
                    "unit": "C",
                    "timestamp": at,
                }
            )
            items.append(
                {
                    "device_id": machine.asset_id,
                    "metric": "vibration",
                    "value": round(vibration, 3),
                    "unit": "mm/s",
                    "timestamp": at,
                }
            )
    result = readings_ingest(items=items)
    stdout.write(
        f"  IoT: {result.accepted} readings of {len(machines)} machines, "
        f"{len(result.anomalies)} anomalies"
    )
