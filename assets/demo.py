"""A realistic demo plant: two sites, production lines, utilities, a fleet, tools.

Written through the services (so the audit trail and alerts are real). Running
it again finds the plant in place and adds nothing.
"""

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from assets.choices import AssetStatus, AssetType, Condition, Criticality, LocationKind
from assets.models import Asset, Location
from assets.services import meters, monitoring, registry

MACHINES = [
    ("CNC", "CNC machining centre", "Haas", "VF-4"),
    ("PRS", "Hydraulic press", "Schuler", "MSD 400"),
    ("CNV", "Belt conveyor", "Interroll", "BM 8320"),
    ("PKG", "Case packer", "Krones", "Variopac Pro"),
    ("ROB", "Palletising robot", "FANUC", "M-410iC"),
    ("WLD", "Spot welder", "ARO", "SX-4"),
]
COMPONENTS = [
    ("MTR", "Drive motor", "Siemens", "1LE1"),
    ("GBX", "Gearbox", "SEW", "R97"),
    ("BRG", "Main bearing", "SKF", "22320 E"),
    ("PMP", "Coolant pump", "Grundfos", "CRN 10"),
    ("SNS", "Vibration sensor", "IFM", "VSE002"),
]
UTILITIES = [
    ("CMP", "Air compressor", "Atlas Copco", "GA 75", AssetType.EQUIPMENT),
    ("BLR", "Steam boiler", "Viessmann", "Vitomax 200", AssetType.EQUIPMENT),
    ("CHL", "Chiller", "Carrier", "30XA", AssetType.EQUIPMENT),
    ("AHU", "Air handling unit", "Trane", "CSAA", AssetType.SYSTEM),
    ("TRF", "Transformer", "ABB", "RESIBLOC", AssetType.INFRASTRUCTURE),
    ("FPS", "Fire pump", "Grundfos", "NB 125", AssetType.EQUIPMENT),
]


def seed_demo_plant(*, stdout: Any, rng: random.Random | None = None) -> None:
    if Asset.objects.filter(asset_id="LINE-01").exists():
        stdout.write("  assets: demo plant already present")
        return
    rng = rng or random.Random(20261122)  # noqa: S311 - demo data, not security
    with transaction.atomic():
        places = _places()
        machines = _production(places, rng)
        utilities = _utilities(places, rng)
        fleet = _fleet(places, rng)
        _tools_and_instruments(places, rng)
        _meters_and_readings(machines, utilities, fleet, rng)
        _performance(machines + utilities, rng)
    stdout.write(f"  assets: {Asset.objects.count()} assets in {Location.objects.count()} places")


def _place(name: str, kind: str, parent: Location | None = None, **extra: Any) -> Location:
    return registry.location_create(by=None, name=name, kind=kind, parent=parent, **extra)


def _places() -> dict[str, Location]:
    riverside = _place(
        "Riverside Plant",
        LocationKind.SITE,
        latitude=Decimal("52.370216"),
        longitude=Decimal("4.895168"),
    )
    depot = _place(
        "North Depot",
        LocationKind.SITE,
        latitude=Decimal("52.412345"),
        longitude=Decimal("4.901234"),
    )
    production = _place(
        "Building A - Production", LocationKind.BUILDING, riverside, department="Production"
    )
    utilities = _place(
        "Building B - Utilities", LocationKind.BUILDING, riverside, department="Facilities"
    )
    places = {
        "riverside": riverside,
        "depot": depot,
        "utilities": _place(
            "Plant room", LocationKind.ROOM, _place("Ground floor", LocationKind.FLOOR, utilities)
        ),
        "workshop": _place(
            "Maintenance workshop",
            LocationKind.ROOM,
            _place("Floor 1", LocationKind.FLOOR, production),
        ),
        "yard": _place("Vehicle yard", LocationKind.AREA, depot, zone="Outdoor"),
    }
    hall = _place("Ground floor", LocationKind.FLOOR, production)
    for line in range(1, 5):
        places[f"line{line}"] = _place(f"Hall {line}", LocationKind.ROOM, hall, zone=f"Line {line}")
    return places


def _asset(asset_id: str, name: str, asset_type: str, **fields: Any) -> Asset:
    return registry.asset_create(
        by=None, asset_id=asset_id, name=name, asset_type=asset_type, **fields
    )


def _production(places: dict[str, Location], rng: random.Random) -> list[Asset]:
    machines = []
    for line in range(1, 5):
        line_asset = _asset(
            f"LINE-{line:02d}",
            f"Production line {line}",
            AssetType.SYSTEM,
            location=places[f"line{line}"],
            department="Production",
            criticality=Criticality.CRITICAL,
            tags=["production", f"line-{line}"],
        )
        for code, name, maker, model in MACHINES:
            machine = _asset(
                f"L{line}-{code}-01",
                f"{name} (line {line})",
                AssetType.MACHINERY,
                parent=line_asset,
                location=places[f"line{line}"],
                department="Production",
                manufacturer=maker,
                model=model,
                serial_number=f"{code}{rng.randint(100000, 999999)}",
                criticality=rng.choice([Criticality.HIGH, Criticality.HIGH, Criticality.MEDIUM]),
                condition=rng.choice(
                    [Condition.EXCELLENT, Condition.GOOD, Condition.GOOD, Condition.FAIR]
                ),
                install_date=(timezone.now() - timedelta(days=rng.randint(400, 4000))).date(),
                purchase_cost=Decimal(rng.randint(20, 400) * 1000),
                tags=["production", code.lower()],
                specifications={"power_kw": rng.choice([7.5, 15, 22, 37, 55]), "voltage": 400},
                responsible_person=rng.choice(["A. Jansen", "M. de Vries", "K. Bakker"]),
            )
            machines.append(machine)
            for part_code, part_name, part_maker, part_model in COMPONENTS:
                _asset(
                    f"L{line}-{code}-01-{part_code}",
                    f"{part_name} of {machine.asset_id}",
                    AssetType.COMPONENT,
                    parent=machine,
                    location=places[f"line{line}"],
                    department="Production",
                    manufacturer=part_maker,
                    model=part_model,
                    tags=["component", part_code.lower()],
                )
    return machines


def _utilities(places: dict[str, Location], rng: random.Random) -> list[Asset]:
    system = _asset(
        "UTIL-01",
        "Plant utilities",
        AssetType.SYSTEM,
        location=places["utilities"],
        department="Facilities",
        criticality=Criticality.CRITICAL,
        tags=["utilities"],
    )
    units = []
    for code, name, maker, model, asset_type in UTILITIES:
        for unit in range(1, 6):
            asset = _asset(
                f"{code}-{unit:02d}",
                f"{name} {unit}",
                asset_type,
                parent=system,
                location=places["utilities"],
                department="Facilities",
                manufacturer=maker,
                model=model,
                criticality=Criticality.HIGH if code in {"FPS", "TRF"} else Criticality.MEDIUM,
                install_date=(timezone.now() - timedelta(days=rng.randint(300, 6000))).date(),
                tags=["utilities", code.lower()],
            )
            units.append(asset)
            for part_code, part_name in (("MTR", "Motor"), ("CTL", "Controller")):
                _asset(
                    f"{code}-{unit:02d}-{part_code}",
                    f"{part_name} of {asset.asset_id}",
                    AssetType.COMPONENT,
                    parent=asset,
                    location=places["utilities"],
                    department="Facilities",
                )
    return units


def _fleet(places: dict[str, Location], rng: random.Random) -> list[Asset]:
    fleet = []
    for n in range(1, 13):
        fleet.append(
            _asset(
                f"FLT-{n:02d}",
                f"Forklift {n}",
                AssetType.VEHICLE,
                location=places["riverside"],
                department="Logistics",
                manufacturer="Linde",
                model="E20",
                tags=["fleet", "forklift"],
                status=AssetStatus.REPAIR if n == 7 else AssetStatus.OPERATIONAL,
            )
        )
    for n in range(1, 7):
        fleet.append(
            _asset(
                f"TRK-{n:02d}",
                f"Delivery truck {n}",
                AssetType.VEHICLE,
                location=places["yard"],
                department="Logistics",
                manufacturer="DAF",
                model="XB",
                tags=["fleet", "truck"],
                criticality=Criticality.HIGH,
            )
        )
    return fleet


def _tools_and_instruments(places: dict[str, Location], rng: random.Random) -> None:
    for n in range(1, 31):
        _asset(
            f"TOOL-{n:03d}",
            rng.choice(["Torque wrench", "Impact driver", "Borescope", "Laser aligner"]) + f" {n}",
            AssetType.TOOL,
            location=places["workshop"],
            department="Maintenance",
            tags=["tool"],
            status=AssetStatus.SPARE if n % 9 == 0 else AssetStatus.OPERATIONAL,
        )
    for n in range(1, 21):
        _asset(
            f"INST-{n:03d}",
            rng.choice(["Pressure gauge", "Thermal camera", "Multimeter", "Flow meter"]) + f" {n}",
            AssetType.INSTRUMENT,
            location=places["workshop"],
            department="Quality",
            tags=["calibration"],
        )
    _asset(
        "BLD-A",
        "Building A - Production hall",
        AssetType.BUILDING,
        location=places["riverside"],
        department="Facilities",
        tags=["building"],
    )


def _meters_and_readings(
    machines: list[Asset], utilities: list[Asset], fleet: list[Asset], rng: random.Random
) -> None:
    now = timezone.now()
    plans = [(asset, "Running hours", "h", "hours", 3500, 16) for asset in machines + utilities]
    plans += [
        (asset, "Odometer", "km", "distance", 60000, 180)
        for asset in fleet
        if asset.asset_id.startswith("TRK")
    ]
    plans += [
        (asset, "Hour meter", "h", "hours", 5000, 9)
        for asset in fleet
        if asset.asset_id.startswith("FLT")
    ]
    plans += [
        (asset, "Stroke count", "cycles", "cycles", 2_000_000, 9000)
        for asset in machines
        if "-PRS-" in asset.asset_id
    ]
    for asset, name, unit, kind, start, per_day in plans:
        meter = meters.meter_create(by=None, asset=asset, name=name, unit=unit, kind=kind)
        value = Decimal(rng.randint(start // 2, start))
        for weeks_ago in (12, 8, 4, 1):
            value += Decimal(per_day * 7 * (4 if weeks_ago > 1 else 3)) + Decimal(
                rng.randint(0, per_day)
            )
            meters.meter_reading_record(
                by=None,
                meter=meter,
                value=value,
                reading_at=now - timedelta(weeks=weeks_ago),
                source="demo",
            )


def _performance(assets: list[Asset], rng: random.Random) -> None:
    now = timezone.now()
    for asset in assets:
        hot = rng.random() < 0.12
        for days_ago in range(7, 0, -1):
            monitoring.performance_record(
                by=None,
                asset=asset,
                recorded_at=now - timedelta(days=days_ago),
                uptime_percentage=Decimal(rng.uniform(86 if hot else 93, 99.9)).quantize(
                    Decimal("0.1")
                ),
                efficiency_rating=Decimal(rng.uniform(72, 97)).quantize(Decimal("0.1")),
                temperature=Decimal(rng.uniform(70, 88) if hot else rng.uniform(35, 68)).quantize(
                    Decimal("0.1")
                ),
                vibration=Decimal(rng.uniform(1.8, 3.2) if hot else rng.uniform(0.2, 1.6)).quantize(
                    Decimal("0.01")
                ),
                error_count=rng.choice([0, 0, 0, 1, 2]),
                warning_count=rng.choice([0, 1, 1, 2, 4]),
            )
