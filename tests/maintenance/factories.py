import struct
import zlib
from decimal import Decimal

import factory

from inventory.models import Part, StockLocation
from inventory.services import catalog, stock
from maintenance.models import WorkOrder


class WorkOrderFactory(factory.django.DjangoModelFactory):
    """A work order written straight to the table (no events, history or audit)."""

    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO-T{n:05d}")
    title = factory.Sequence(lambda n: f"Fix thing {n}")


def stocked_part(part_number: str, quantity: int, unit_cost: str = "10.00", **fields) -> Part:
    """A part with ``quantity`` received into stock at ``unit_cost``, through the inventory services."""
    store = StockLocation.objects.filter(code="MAIN").first() or catalog.stock_location_create(
        by=None, code="MAIN", name="Main storeroom"
    )
    fields.setdefault("location", store)
    part = catalog.part_create(
        by=None, part_number=part_number, name=f"Part {part_number}", **fields
    )
    if quantity:
        stock.part_restock(
            by=None, part=part, quantity=Decimal(quantity), unit_cost=Decimal(unit_cost)
        )
    part.refresh_from_db()
    return part


def png(width: int = 48, height: int = 32) -> bytes:
    """A small orange picture, as a phone would send one."""
    row = b"\x00" + b"\xff\x80\x00" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
