"""The parts list marks what to reorder, and only that, and filters it."""

from decimal import Decimal as D

import pytest

from tests.inventory.factories import PartFactory
from tests.maintenance.factories import stocked_part

pytestmark = pytest.mark.django_db
PARTS = "/admin/inventory/part/"


def test_low_stock_is_marked_and_filtered(admin_client, in_alpha):
    client = admin_client("manager")
    below = stocked_part("LOW-1", 2, reorder_point=D(5))
    at = stocked_part("AT-1", 5, reorder_point=D(5))
    fine = stocked_part("FINE-1", 9, reorder_point=D(5))

    page = client.get(PARTS).content.decode()
    rows = {part.part_number: _row(page, part.part_number) for part in (below, at, fine)}
    assert "Low" in rows["LOW-1"]
    assert "Low" in rows["AT-1"]
    assert "Low" not in rows["FINE-1"]
    # No red cross or green tick: a fine part carries no alarming mark at all.
    assert "icon-no" not in page
    assert "cancel" not in rows["FINE-1"]

    low_only = client.get(PARTS, {"low_stock": "yes"}).content.decode()
    assert "LOW-1" in low_only
    assert "AT-1" in low_only
    assert "FINE-1" not in low_only
    above = client.get(PARTS, {"low_stock": "no"}).content.decode()
    assert "FINE-1" in above
    assert "LOW-1" not in above


def test_inactive_parts_are_not_flagged(admin_client, in_alpha):
    PartFactory(part_number="GONE-1", reorder_point=D(3), active=False)
    page = admin_client("manager").get(PARTS, {"low_stock": "yes"}).content.decode()
    assert "GONE-1" not in page


def _row(page: str, part_number: str) -> str:
    start = page.index(f">{part_number}<")
    return page[start : page.index("</tr>", start)]
