"""Demo inventory: realistic, includes low stock and orders, and idempotent."""

import io

from django.apps import apps

from inventory import selectors
from inventory.models import Part, PurchaseOrder, StockLocation, StockMovement, Vendor
from inventory.seed import seed_demo


def counts():
    return (
        StockLocation.objects.count(),
        Vendor.objects.count(),
        Part.objects.count(),
        PurchaseOrder.objects.count(),
        StockMovement.objects.count(),
    )


def test_seed_demo_fills_inventory_once(in_alpha):
    out = io.StringIO()

    seed_demo(stdout=out, part_count=40)
    first = counts()
    seed_demo(stdout=out, part_count=40)

    assert counts() == first
    locations, vendors, parts, _, movements = first
    assert (locations, vendors, parts) == (5, 8, 40)
    assert movements > parts
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) == {
        "draft",
        "approved",
        "ordered",
        "partially_received",
        "received",
    }
    assert selectors.low_stock_parts().count() == 4
    assert StockMovement.objects.filter(kind="issue").exists()
    assert selectors.ledger_discrepancies() == []
    assert "40 new parts" in out.getvalue()
    assert "0 new parts" in out.getvalue()


def test_inventory_registers_its_seeder_for_seed_demo():
    assert callable(apps.get_app_config("inventory").seed_demo)
