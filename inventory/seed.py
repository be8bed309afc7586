"""Demo inventory for ``seed_demo``: storerooms, vendors, a few hundred parts, orders.

Everything is generated deterministically from its index and written through
the services, and each record is looked up by its natural key first, so a
second run adds nothing. Opening stock, usage history and purchase orders are
written only for parts this run created (and orders only once per tenant).
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from inventory.choices import LocationKind, PurchaseOrderStatus, Unit
from inventory.models import Part, PurchaseOrder, StockLocation, Vendor
from inventory.services import catalog, purchasing, stock

DEMO_PART_COUNT = 300
DEMO_ORDER_NOTE = "Demo purchase order"

LOCATIONS = [
    ("MAIN", "Main storeroom", LocationKind.STOREROOM, None),
    ("MAIN-A01", "Main storeroom, aisle A bin 01", LocationKind.BIN, "MAIN"),
    ("MAIN-B01", "Main storeroom, aisle B bin 01", LocationKind.BIN, "MAIN"),
    ("EAST", "East plant storeroom", LocationKind.STOREROOM, None),
    ("VAN-1", "Service van 1", LocationKind.VEHICLE, None),
]

VENDORS = [
    ("Apex Bearings Ltd", "Dana Reyes", "orders@apex-bearings.example", 5),
    ("Brightline Electrical", "Sam Okafor", "sales@brightline.example", 3),
    ("Northwind Industrial Supply", "Ivy Chen", "po@northwind-supply.example", 7),
    ("Hydrotech Fluid Power", "Marco Bianchi", "orders@hydrotech.example", 10),
    ("SafeGuard PPE", "Lena Novak", "service@safeguard.example", 2),
    ("Precision Sensors Co", "Ravi Patel", "sales@precision-sensors.example", 14),
    ("Lubrico", "Tom Hughes", "orders@lubrico.example", 4),
    ("Fastenal Depot", "Ana Silva", "depot@fasteners.example", 1),
]

# category: (part number prefix, vendor index, unit, base names, sizes, cost range)
CATALOGUE: dict[str, tuple[str, int, str, list[str], list[str], tuple[int, int]]] = {
    "Bearings": (
        "BRG",
        0,
        Unit.EACH,
        ["Deep groove ball bearing", "Tapered roller bearing", "Pillow block bearing"],
        ["6204-2RS", "6205-ZZ", "6306", "30205", "UCP205", "UCP208", "6008", "22210"],
        (8, 140),
    ),
    "Belts": (
        "BLT",
        2,
        Unit.EACH,
        ["V-belt", "Timing belt", "Poly-V belt"],
        ["A42", "B55", "SPZ1250", "HTD 8M-800", "PJ1016", "XPA1500"],
        (6, 90),
    ),
    "Filters": (
        "FLT",
        2,
        Unit.EACH,
        ["Air filter", "Hydraulic return filter", "Oil filter", "Coolant filter"],
        ["10 micron", "25 micron", "HF6553", "P550148", "AF25434"],
        (12, 160),
    ),
    "Seals": (
        "SEL",
        3,
        Unit.EACH,
        ["O-ring", "Shaft seal", "Hydraulic rod seal", "Gasket"],
        ["25x2", "40x62x8", "DN50", "NBR 70", "Viton 32x3"],
        (1, 45),
    ),
    "Electrical": (
        "ELE",
        1,
        Unit.EACH,
        ["Contactor", "Fuse", "Motor starter", "Relay", "Terminal block"],
        ["9A 24VDC", "16A gG", "3-phase 5.5kW", "2CO 230VAC", "4mm2"],
        (2, 260),
    ),
    "Lubricants": (
        "LUB",
        6,
        Unit.LITRE,
        ["Gear oil", "Hydraulic oil", "Grease", "Chain lubricant"],
        ["ISO VG 220", "ISO VG 46", "EP2", "food grade H1"],
        (4, 30),
    ),
    "Fasteners": (
        "FST",
        7,
        Unit.BOX,
        ["Hex bolt", "Lock nut", "Washer", "Socket cap screw"],
        ["M8x30", "M10x40", "M12", "M6x20", "M16x60"],
        (3, 40),
    ),
    "Sensors": (
        "SNS",
        5,
        Unit.EACH,
        ["Proximity sensor", "Temperature probe", "Pressure transmitter", "Vibration sensor"],
        ["M12 PNP", "PT100 150mm", "0-10 bar", "100 mV/g"],
        (40, 480),
    ),
    "Safety": (
        "SAF",
        4,
        Unit.PAIR,
        ["Safety gloves", "Safety glasses", "Ear defenders"],
        ["size 9", "size 10", "clear", "SNR 30"],
        (2, 25),
    ),
}


@dataclass(frozen=True)
class PartSpec:
    part_number: str
    name: str
    category: str
    unit: str
    vendor_index: int
    unit_cost: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    opening: Decimal
    location_code: str
    low: bool


def part_specs(count: int) -> list[PartSpec]:
    """The demo catalogue: the same ``count`` parts on every run."""
    categories = sorted(CATALOGUE)
    specs = []
    for index in range(count):
        rng = random.Random(index)  # noqa: S311  (demo data, not secrets)
        category = categories[index % len(categories)]
        prefix, vendor_index, unit, names, sizes, (low_cost, high_cost) = CATALOGUE[category]
        name = f"{rng.choice(names)} {rng.choice(sizes)}"
        cost = Decimal(rng.randint(low_cost * 100, high_cost * 100)) / 100
        reorder_point = Decimal(rng.choice([2, 4, 5, 10, 20]))
        # Every tenth part starts at or below its reorder point, so low stock shows.
        low = index % 10 == 3
        opening = Decimal(rng.randint(0, int(reorder_point))) if low else reorder_point * 3
        specs.append(
            PartSpec(
                part_number=f"{prefix}-{index + 1:04d}",
                name=name,
                category=category,
                unit=unit,
                vendor_index=vendor_index,
                unit_cost=cost,
                reorder_point=reorder_point,
                reorder_quantity=reorder_point * 2,
                opening=opening,
                location_code=rng.choice(["MAIN", "MAIN-A01", "MAIN-B01", "EAST"]),
                low=low,
            )
        )
    return specs


def _locations() -> dict[str, StockLocation]:
    found: dict[str, StockLocation] = {}
    for code, name, kind, parent in LOCATIONS:
        location = StockLocation.objects.filter(code__iexact=code).first()
        if location is None:
            location = catalog.stock_location_create(
                by=None, code=code, name=name, kind=kind, parent=found.get(parent or "")
            )
        found[code] = location
    return found


def _vendors() -> list[Vendor]:
    found = []
    for name, contact, email, lead_time in VENDORS:
        vendor = Vendor.objects.filter(name__iexact=name).first()
        if vendor is None:
            vendor = catalog.vendor_create(
                by=None, name=name, contact_name=contact, email=email, lead_time_days=lead_time
            )
        found.append(vendor)
    return found


@transaction.atomic
def seed_demo(*, stdout: Any, part_count: int = DEMO_PART_COUNT) -> None:
    """Fill the current tenant with demo inventory; a second run adds nothing."""
    locations = _locations()
    vendors = _vendors()
    existing = {number.lower() for number in Part.objects.values_list("part_number", flat=True)}
    created: list[tuple[Part, PartSpec]] = []
    for spec in part_specs(part_count):
        if spec.part_number.lower() in existing:
            continue
        part = catalog.part_create(
            by=None,
            part_number=spec.part_number,
            name=spec.name,
            category=spec.category,
            unit=spec.unit,
            reorder_point=spec.reorder_point,
            reorder_quantity=spec.reorder_quantity,
            unit_cost=spec.unit_cost,
            location=locations[spec.location_code],
            vendor=vendors[spec.vendor_index],
        )
        created.append((part, spec))

    for index, (part, spec) in enumerate(created):
        if spec.opening > 0:
            stock.part_restock(
                part=part,
                quantity=spec.opening,
                by=None,
                unit_cost=spec.unit_cost,
                reference="Opening stock (demo)",
            )
        if not spec.low and index % 4 == 0:
            # A little history: a second receipt at another price, some usage on work orders,
            # never taking a part down to its reorder point.
            stock.part_restock(
                part=part,
                quantity=spec.reorder_point,
                by=None,
                location=locations["VAN-1"],
                unit_cost=(spec.unit_cost * Decimal("1.1")).quantize(Decimal("0.01")),
                reference=f"Delivery note DN-{index + 1:05d}",
            )
            stock.part_usage_record(
                part=part,
                quantity=spec.reorder_point,
                by=None,
                reference=f"WO-{index + 1:06d}",
                notes="Demo usage",
            )

    orders = 0
    if created and not PurchaseOrder.objects.filter(notes=DEMO_ORDER_NOTE).exists():
        orders = _demo_orders([part for part, spec in created if not spec.low])
    low = sum(1 for _, spec in created if spec.low)
    stdout.write(
        f"  inventory: {len(locations)} locations, {len(vendors)} vendors, "
        f"{len(created)} new parts ({low} below their reorder point), {orders} purchase orders"
    )


def _demo_orders(parts: list[Part]) -> int:
    """A purchase order in each status but cancelled, from well-stocked parts."""
    steps = [
        PurchaseOrderStatus.DRAFT,
        PurchaseOrderStatus.APPROVED,
        PurchaseOrderStatus.ORDERED,
        PurchaseOrderStatus.PARTIALLY_RECEIVED,
        PurchaseOrderStatus.RECEIVED,
    ]
    by_vendor: dict[int, list[Part]] = defaultdict(list)
    for part in parts:
        if part.vendor_id is not None:
            by_vendor[part.vendor_id].append(part)
    groups = [group for _, group in sorted(by_vendor.items())]
    made = 0
    for index, status in enumerate(steps):
        if not groups:
            break
        group = groups[index % len(groups)]
        start = (index // len(groups)) * 3
        chosen = group[start : start + 3]
        if not chosen:
            continue
        vendor = chosen[0].vendor
        lines = [
            purchasing.OrderLine(part=part, quantity=part.reorder_quantity or Decimal(5))
            for part in chosen
        ]
        order = purchasing.purchase_order_create(
            vendor=vendor, by=None, lines=lines, notes=DEMO_ORDER_NOTE
        )
        if status != PurchaseOrderStatus.DRAFT:
            purchasing.purchase_order_approve(purchase_order=order, by=None)
        if status in {
            PurchaseOrderStatus.ORDERED,
            PurchaseOrderStatus.PARTIALLY_RECEIVED,
            PurchaseOrderStatus.RECEIVED,
        }:
            purchasing.purchase_order_mark_ordered(purchase_order=order, by=None)
        if status == PurchaseOrderStatus.PARTIALLY_RECEIVED:
            first = order.lines.order_by("id").first()
            purchasing.purchase_order_receive(
                purchase_order=order,
                by=None,
                lines=[stock.ReceiveLine(line_id=first.pk, quantity=first.quantity / 2)],
            )
        if status == PurchaseOrderStatus.RECEIVED:
            purchasing.purchase_order_receive(purchase_order=order, by=None)
        made += 1
    return made
