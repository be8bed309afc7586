"""A year of realistic maintenance history for the demo plant.

History (completed and cancelled work) is written set-based for speed, with
totals computed from the cost lines it writes. Current work (open, scheduled,
in progress) goes through the services, so the live feed, audit and asset
downtime behave exactly as in use. Running it again adds nothing.
"""

import os
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from assets.models import Asset
from core.models import User
from core.roles import Role
from core.services import user_create
from inventory.models import Part
from maintenance import services
from maintenance.choices import HistoryKind, Priority, Status, StepKind, WorkType
from maintenance.models import (
    LaborEntry,
    MaintenanceEvent,
    WorkOrder,
    WorkOrderPart,
    WorkOrderTemplate,
    WorkRequest,
)

TEAM = [
    ("anna.planner", "Anna", "de Wit", Role.PLANNER, "55.00"),
    ("bram.tech", "Bram", "Visser", Role.TECHNICIAN, "42.00"),
    ("chen.tech", "Chen", "Li", Role.TECHNICIAN, "45.00"),
    ("dara.tech", "Dara", "Okafor", Role.TECHNICIAN, "40.00"),
    ("emil.tech", "Emil", "Novak", Role.TECHNICIAN, "47.50"),
    ("fleur.requester", "Fleur", "Bos", Role.REQUESTER, None),
    ("gerrit.viewer", "Gerrit", "Smit", Role.VIEWER, None),
]
TYPES = [
    (WorkType.PREVENTIVE, 45),
    (WorkType.CORRECTIVE, 28),
    (WorkType.INSPECTION, 10),
    (WorkType.LUBRICATION, 5),
    (WorkType.EMERGENCY, 4),
    (WorkType.CALIBRATION, 4),
    (WorkType.CLEANING, 4),
]
PRIORITY_FOR = {
    WorkType.EMERGENCY: [Priority.CRITICAL],
    WorkType.CORRECTIVE: [Priority.HIGH, Priority.MEDIUM, Priority.MEDIUM, Priority.LOW],
}
TITLES = {
    WorkType.PREVENTIVE: [
        "Quarterly service",
        "Replace filters",
        "Belt tension and wear check",
        "Oil change",
    ],
    WorkType.CORRECTIVE: [
        "Bearing noise",
        "Leak at seal",
        "Motor trips on overload",
        "Sensor fault",
        "Guard damaged",
    ],
    WorkType.INSPECTION: ["Safety walk-round", "Thermographic survey", "Vibration round"],
    WorkType.LUBRICATION: ["Lubrication route"],
    WorkType.EMERGENCY: ["Breakdown: line stopped", "Hydraulic hose burst"],
    WorkType.CALIBRATION: ["Calibrate pressure transmitter", "Calibrate load cell"],
    WorkType.CLEANING: ["Clean condenser coils", "Clean and degrease"],
}
HISTORY_DAYS = 365
PER_DAY = 7


@dataclass
class Batch:
    orders: list[WorkOrder] = field(default_factory=list)
    labor: list[tuple[int, LaborEntry]] = field(default_factory=list)
    parts: list[tuple[int, WorkOrderPart]] = field(default_factory=list)


def seed_demo_work(*, stdout: Any, rng: random.Random | None = None) -> None:
    if WorkOrder.objects.filter(external_ref__startswith="DEMO-").exists():
        stdout.write("  maintenance: demo history already present")
        return
    rng = rng or random.Random(1122)  # noqa: S311 - demo data, not security
    assets = list(
        Asset.objects.exclude(asset_type__in=["component", "building"]).order_by("asset_id")
    )
    if not assets:
        stdout.write("  maintenance: no assets to maintain (seed assets first)")
        return
    with transaction.atomic():
        team = _team()
        parts = list(Part.objects.order_by("id")[:200])
        history = _history(assets, team, parts, rng)
        _templates(parts)
        current = _current_work(assets, team, rng)
        _requests(assets, team, rng)
    stdout.write(f"  maintenance: {history} historical and {current} current work orders")


def _team() -> dict[str, User]:
    password = os.environ.get("DEMO_USER_PASSWORD", "Demo-Manager-2026")
    team = {}
    for username, first, last, role, rate in TEAM:
        user = User.objects.filter(username=username).first() or user_create(
            by=None,
            username=username,
            password=password,
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.localhost",
            hourly_rate=Decimal(rate) if rate else None,
        )
        team[username] = user
    return team


def _numbers(count: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('maintenance_work_order_number') FROM generate_series(1, %s)", [count]
        )
        return [f"WO-{value:06d}" for (value,) in cursor.fetchall()]


def _history(
    assets: list[Asset], team: dict[str, User], parts: list[Part], rng: random.Random
) -> int:
    technicians = [u for u in team.values() if u.role == Role.TECHNICIAN]
    now = timezone.now()
    plans = []
    for day in range(HISTORY_DAYS, 14, -1):
        for _ in range(rng.randint(PER_DAY - 3, PER_DAY + 3)):
            plans.append(
                now - timedelta(days=day, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
            )
    numbers = _numbers(len(plans))
    batch = Batch()
    types, weights = zip(*TYPES, strict=True)
    for index, created in enumerate(plans):
        work_type = rng.choices(types, weights)[0]
        asset = rng.choice(assets)
        technician = rng.choice(technicians)
        cancelled = rng.random() < 0.04
        started = created + timedelta(
            hours=rng.uniform(0.5, 30 if work_type != WorkType.EMERGENCY else 1)
        )
        hours = Decimal(
            str(round(rng.uniform(0.5, 8 if work_type != WorkType.EMERGENCY else 12), 1))
        )
        completed = started + timedelta(hours=float(hours) + rng.uniform(0, 4))
        order = WorkOrder(
            number=numbers[index],
            title=rng.choice(TITLES[work_type]),
            asset=asset,
            work_type=work_type,
            priority=rng.choice(
                PRIORITY_FOR.get(work_type, [Priority.MEDIUM, Priority.LOW, Priority.HIGH])
            ),
            status=Status.CANCELLED if cancelled else Status.COMPLETED,
            assigned_to=technician,
            requested_by=team["anna.planner"],
            created_at=created,
            due_at=created + timedelta(days=rng.choice([1, 3, 7, 14])),
            started_at=None if cancelled else started,
            completed_at=None if cancelled else completed,
            cancelled_at=created + timedelta(days=1) if cancelled else None,
            cancel_reason="Duplicate request" if cancelled else "",
            estimated_hours=hours,
            external_ref=f"DEMO-{index:05d}",
        )
        batch.orders.append(order)
        if cancelled:
            continue
        rate = technician.hourly_rate or Decimal("40.00")
        batch.labor.append(
            (
                index,
                LaborEntry(
                    technician=technician,
                    hours=hours,
                    rate=rate,
                    cost=(hours * rate).quantize(Decimal("0.01")),
                    work_date=completed.date(),
                ),
            )
        )
        if (
            parts
            and work_type in (WorkType.CORRECTIVE, WorkType.EMERGENCY, WorkType.PREVENTIVE)
            and rng.random() < 0.45
        ):
            part = rng.choice(parts)
            quantity = Decimal(rng.randint(1, 4))
            unit_cost = part.unit_cost or Decimal("12.00")
            batch.parts.append(
                (
                    index,
                    WorkOrderPart(
                        part=part,
                        quantity_planned=quantity,
                        quantity_used=quantity,
                        unit_cost=unit_cost,
                        cost=(quantity * unit_cost).quantize(Decimal("0.01")),
                    ),
                )
            )
    _write(batch)
    return len(batch.orders)


def _write(batch: Batch) -> None:
    labor_by_order = {i: entry for i, entry in batch.labor}
    parts_by_order = {i: line for i, line in batch.parts}
    for index, order in enumerate(batch.orders):
        labor = labor_by_order.get(index)
        line = parts_by_order.get(index)
        order.labor_cost = labor.cost if labor else Decimal(0)
        order.actual_hours = labor.hours if labor else Decimal(0)
        order.parts_cost = line.cost if line else Decimal(0)
        order.total_cost = order.labor_cost + order.parts_cost
    WorkOrder.objects.bulk_create(batch.orders, batch_size=1000)
    for index, entry in batch.labor:
        entry.work_order = batch.orders[index]
    for index, line in batch.parts:
        line.work_order = batch.orders[index]
    LaborEntry.objects.bulk_create([e for _, e in batch.labor], batch_size=1000)
    WorkOrderPart.objects.bulk_create([p for _, p in batch.parts], batch_size=1000)
    events = []
    for order in batch.orders:
        events.append(
            MaintenanceEvent(
                asset=order.asset,
                work_order=order,
                kind=HistoryKind.CREATED,
                summary=f"{order.number} created: {order.title}",
                occurred_at=order.created_at,
            )
        )
        if order.completed_at:
            events.append(
                MaintenanceEvent(
                    asset=order.asset,
                    work_order=order,
                    kind=HistoryKind.COMPLETED,
                    summary=f"{order.number} completed",
                    occurred_at=order.completed_at,
                    data={"actual_hours": str(order.actual_hours)},
                )
            )
    MaintenanceEvent.objects.bulk_create(events, batch_size=2000)


def _templates(parts: list[Part]) -> None:
    if WorkOrderTemplate.objects.exists():
        return
    services.template_create(
        by=None,
        name="Compressor 2,000 h service",
        description="Oil, filters and separator element; check belts and safety valve.",
        work_type=WorkType.PREVENTIVE,
        priority=Priority.MEDIUM,
        estimated_hours=Decimal("3.0"),
        estimated_cost=Decimal("420.00"),
        steps=[
            {"title": "Lock out and tag out", "kind": StepKind.TASK},
            {"title": "Drain and refill oil", "kind": StepKind.TASK},
            {"title": "Safety valve lifts at set pressure", "kind": StepKind.INSPECTION},
            {
                "title": "Discharge temperature",
                "kind": StepKind.NUMBER,
                "expected_min": Decimal(60),
                "expected_max": Decimal(95),
                "unit": "C",
            },
            {
                "title": "Record running hours",
                "kind": StepKind.METER,
                "meter_name": "Running hours",
            },
        ],
        parts=[{"part": p, "quantity": Decimal(1)} for p in parts[:2]],
    )
    services.template_create(
        by=None,
        name="Forklift monthly safety check",
        work_type=WorkType.INSPECTION,
        estimated_hours=Decimal("0.5"),
        steps=[
            {"title": "Brakes", "kind": StepKind.INSPECTION},
            {"title": "Horn and lights", "kind": StepKind.INSPECTION},
            {"title": "Fork wear", "kind": StepKind.INSPECTION},
            {"title": "Hour meter", "kind": StepKind.METER, "meter_name": "Hour meter"},
        ],
    )


def _current_work(assets: list[Asset], team: dict[str, User], rng: random.Random) -> int:
    planner = team["anna.planner"]
    technicians = [u for u in team.values() if u.role == Role.TECHNICIAN]
    now = timezone.now()
    created = 0
    for n in range(36):
        work_type = rng.choice(
            [WorkType.CORRECTIVE, WorkType.PREVENTIVE, WorkType.INSPECTION, WorkType.CORRECTIVE]
        )
        order = services.work_order_create(
            by=planner,
            title=rng.choice(TITLES[work_type]),
            asset=rng.choice(assets),
            work_type=work_type,
            priority=rng.choice([Priority.HIGH, Priority.MEDIUM, Priority.LOW]),
            due_at=now + timedelta(days=rng.randint(-5, 14)),
            external_ref=f"DEMO-NOW-{n:03d}",
            created_at=now - timedelta(days=rng.randint(0, 13)),
        )
        created += 1
        if n % 4 == 0:
            continue
        services.work_order_assign(
            by=planner, work_order=order, assigned_to=rng.choice(technicians)
        )
        if n % 4 == 1:
            services.work_order_transition(by=planner, work_order=order, to_status=Status.SCHEDULED)
        elif n % 4 == 2:
            services.work_order_start(by=order.assigned_to, work_order=order)
        elif n % 8 == 3:
            services.work_order_start(by=order.assigned_to, work_order=order)
            services.work_order_hold(
                by=order.assigned_to, work_order=order, reason="Waiting for parts"
            )
    return created


def _requests(assets: list[Asset], team: dict[str, User], rng: random.Random) -> None:
    if WorkRequest.objects.exists():
        return
    requester = team["fleur.requester"]
    for text in (
        "Strange noise from the conveyor",
        "Oil on the floor near the press",
        "Light flickering in hall 2",
        "Door of the plant room does not close",
        "Forklift beeps constantly",
    ):
        services.work_request_create(
            by=requester, title=text, description=text + ".", asset=rng.choice(assets)
        )
