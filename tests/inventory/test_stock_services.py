"""Stock services: the ledger, levels and part totals always agree; shortages change nothing."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import Conflict, InvalidInput
from core.models import AuditEntry
from inventory import selectors
from inventory.models import StockLevel, StockLocation, StockMovement
from inventory.services import catalog, stock
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory
from tests.maintenance.factories import WorkOrderFactory

D = Decimal


def level(part, location):
    row = StockLevel.objects.filter(part=part, location=location).first()
    return row.quantity if row else D(0)


def test_restock_writes_level_part_total_movement_and_audit(in_alpha):
    part = PartFactory()
    manager = in_alpha.users["manager"]

    movement = put(part, 12, unit_cost="2.50", by=manager)

    part = fresh(part)
    assert part.quantity_on_hand == 12
    assert level(part, part.location) == 12
    assert movement.kind == "receipt"
    assert movement.quantity == 12
    assert movement.balance_after == 12
    assert movement.part_balance_after == 12
    assert movement.unit_cost == D("2.50")
    assert movement.total_cost == D("30.00")
    assert movement.actor_id == manager.pk
    assert movement.actor_username == "manager"
    entry = AuditEntry.objects.get(action="part.receive", object_id=str(part.pk))
    assert entry.changes["quantity_on_hand"] == {"before": "0.000", "after": "12.000"}
    assert entry.changes[f"stock@{part.location.code}"] == {"before": "0.000", "after": "12.000"}
    assert entry.changes["movements"]["after"] == [movement.pk]
    assert selectors.ledger_discrepancies() == []


def test_usage_issues_from_the_default_location_with_reference_and_work_order(in_alpha):
    part = PartFactory()
    put(part, 10, unit_cost=4)
    job = WorkOrderFactory()

    [movement] = stock.part_usage_record(
        part=part,
        quantity=D(3),
        by=in_alpha.users["technician"],
        work_order_id=job.pk,
        reference="WO-000077",
        notes="replaced on line 2",
    )

    assert fresh(part).quantity_on_hand == 7
    assert movement.kind == "issue"
    assert movement.quantity == -3
    assert movement.balance_after == 7
    assert movement.location_id == part.location_id
    assert movement.work_order_id == job.pk
    assert movement.reference == "WO-000077"
    assert movement.unit_cost == D("4.0000")
    assert movement.total_cost == D("12.00")
    assert selectors.ledger_discrepancies() == []


def test_short_usage_is_a_conflict_and_changes_nothing(in_alpha):
    part = PartFactory()
    put(part, 2)
    movements_before = StockMovement.objects.count()
    audits_before = AuditEntry.objects.count()

    with pytest.raises(Conflict) as refused:
        stock.part_usage_record(part=part, quantity=D(3), by=None)

    assert refused.value.code == "insufficient_stock"
    assert part.part_number in refused.value.detail
    assert fresh(part).quantity_on_hand == 2
    assert level(part, part.location) == 2
    assert StockMovement.objects.count() == movements_before
    assert AuditEntry.objects.count() == audits_before


def test_usage_without_location_takes_default_first_then_most_stocked(in_alpha):
    part = PartFactory()
    small, big = StockLocationFactory(), StockLocationFactory()
    put(part, 2)  # default location
    put(part, 3, location=small)
    put(part, 5, location=big)

    movements = stock.part_usage_record(part=part, quantity=D(8), by=None)

    assert [(m.location_id, m.quantity) for m in movements] == [
        (part.location_id, D(-2)),
        (big.pk, D(-5)),
        (small.pk, D(-1)),
    ]
    assert level(part, part.location) == 0
    assert level(part, big) == 0
    assert level(part, small) == 2
    assert fresh(part).quantity_on_hand == 2
    assert [m.part_balance_after for m in movements] == [D(8), D(3), D(2)]
    assert selectors.ledger_discrepancies() == []


def test_usage_from_a_named_location_uses_only_that_location(in_alpha):
    part = PartFactory()
    elsewhere = StockLocationFactory()
    put(part, 1)
    put(part, 10, location=elsewhere)

    with pytest.raises(Conflict) as refused:
        stock.part_usage_record(part=part, quantity=D(2), by=None, location=part.location)
    [taken] = stock.part_usage_record(part=part, quantity=D(2), by=None, location=elsewhere)

    assert refused.value.code == "insufficient_stock"
    assert part.location.code in refused.value.detail
    assert taken.location_id == elsewhere.pk
    assert level(part, part.location) == 1
    assert level(part, elsewhere) == 8


def test_consume_is_all_or_nothing_and_names_every_short_part(in_alpha):
    a, b, c = PartFactory(), PartFactory(), PartFactory()
    put(a, 5)
    put(b, 1)
    lines = [
        stock.ConsumeLine(part_id=a.pk, quantity=D(2)),
        stock.ConsumeLine(part_id=b.pk, quantity=D(3)),
        stock.ConsumeLine(part_id=c.pk, quantity=D(1)),
    ]

    with pytest.raises(Conflict) as refused:
        stock.parts_consume(lines=lines, by=None, work_order_id=WorkOrderFactory().pk)

    assert refused.value.code == "insufficient_stock"
    assert b.part_number in refused.value.detail
    assert c.part_number in refused.value.detail
    assert a.part_number not in refused.value.detail
    assert (fresh(a).quantity_on_hand, fresh(b).quantity_on_hand) == (5, 1)
    assert not StockMovement.objects.filter(kind="issue").exists()


def test_consume_returns_movements_with_their_cost(in_alpha):
    job = WorkOrderFactory()
    a, b = PartFactory(), PartFactory()
    put(a, 5, unit_cost="1.25")
    put(b, 5, unit_cost="3.10")

    movements = stock.parts_consume(
        lines=[
            stock.ConsumeLine(part_id=b.pk, quantity=D(2)),
            stock.ConsumeLine(part_id=a.pk, quantity=D(4)),
        ],
        by=None,
        reference="WO-000010",
        work_order_id=job.pk,
    )

    assert sorted((m.part_id, m.total_cost) for m in movements) == sorted(
        [(a.pk, D("5.00")), (b.pk, D("6.20"))]
    )
    assert all(m.pk and m.work_order_id == job.pk and m.reference == "WO-000010" for m in movements)
    assert sum(m.total_cost for m in movements) == D("11.20")


def test_consume_named_lines_are_served_before_the_picking_rule(in_alpha):
    part = PartFactory()
    other = StockLocationFactory()
    put(part, 3)
    put(part, 2, location=other)

    movements = stock.parts_consume(
        lines=[
            stock.ConsumeLine(part_id=part.pk, quantity=D(3)),
            stock.ConsumeLine(part_id=part.pk, quantity=D(2), location_id=other.pk),
        ],
        by=None,
    )

    assert fresh(part).quantity_on_hand == 0
    assert len(movements) == 2


def test_consume_refuses_unknown_parts_and_locations(in_alpha):
    part = PartFactory()
    put(part, 3)

    with pytest.raises(InvalidInput) as unknown_part:
        stock.parts_consume(
            lines=[stock.ConsumeLine(part_id=part.pk + 1000, quantity=D(1))], by=None
        )
    with pytest.raises(InvalidInput) as unknown_location:
        stock.parts_consume(
            lines=[stock.ConsumeLine(part_id=part.pk, quantity=D(1), location_id=999999)],
            by=None,
        )

    assert "part" in unknown_part.value.errors
    assert "location" in unknown_location.value.errors
    assert fresh(part).quantity_on_hand == 3


@pytest.mark.parametrize("quantity", [D(0), D(-1), D("0.0001"), D("1e12"), 1.5, "2", True])
def test_services_refuse_bad_quantities(in_alpha, quantity):
    part = PartFactory()
    put(part, 5)

    with pytest.raises(InvalidInput):
        stock.part_usage_record(part=part, quantity=quantity, by=None)
    with pytest.raises(InvalidInput):
        stock.part_restock(part=part, quantity=quantity, by=None)

    assert fresh(part).quantity_on_hand == 5


def test_adjust_by_delta_and_to_a_counted_level_with_reason(in_alpha):
    part = PartFactory(unit_cost=D("2.00"))
    put(part, 10)

    down = stock.part_adjust(part=part, by=None, reason="damaged", delta=D(-3))
    counted = stock.part_adjust(part=part, by=None, reason="cycle_count", counted=D(9))

    assert (down.kind, down.quantity, down.reason, down.total_cost) == (
        "adjustment",
        D(-3),
        "damaged",
        D("6.00"),
    )
    assert (counted.quantity, counted.balance_after) == (D(2), D(9))
    assert fresh(part).quantity_on_hand == 9
    assert selectors.ledger_discrepancies() == []


def test_adjust_refuses_going_negative_missing_reason_and_no_change(in_alpha):
    part = PartFactory()
    put(part, 2)

    with pytest.raises(Conflict) as below_zero:
        stock.part_adjust(part=part, by=None, reason="lost", delta=D(-3))
    with pytest.raises(InvalidInput):
        stock.part_adjust(part=part, by=None, reason="", delta=D(1))
    with pytest.raises(InvalidInput):
        stock.part_adjust(part=part, by=None, reason="found", counted=D(2))
    with pytest.raises(InvalidInput):
        stock.part_adjust(part=part, by=None, reason="found", counted=D(2), delta=D(1))

    assert below_zero.value.code == "insufficient_stock"
    assert fresh(part).quantity_on_hand == 2


def test_transfer_moves_stock_without_changing_the_total(in_alpha):
    part = PartFactory()
    van = StockLocationFactory(code="VAN-9")
    put(part, 6, unit_cost=3)

    out, into = stock.part_transfer(
        part=part, by=None, from_location=part.location, to_location=van, quantity=D(4)
    )

    assert (out.quantity, out.location_id, out.other_location_id) == (
        D(-4),
        part.location_id,
        van.pk,
    )
    assert (into.quantity, into.location_id, into.other_location_id) == (
        D(4),
        van.pk,
        part.location_id,
    )
    assert out.kind == into.kind == "transfer"
    assert fresh(part).quantity_on_hand == 6
    assert (level(part, part.location), level(part, van)) == (2, 4)
    with pytest.raises(Conflict):
        stock.part_transfer(
            part=part, by=None, from_location=part.location, to_location=van, quantity=D(3)
        )
    with pytest.raises(InvalidInput):
        stock.part_transfer(part=part, by=None, from_location=van, to_location=van, quantity=D(1))
    assert selectors.ledger_discrepancies() == []


def test_return_to_a_work_order_comes_back_at_the_issue_cost_and_no_more(in_alpha):
    part = PartFactory()
    put(part, 10, unit_cost=2)
    job = WorkOrderFactory()
    stock.part_usage_record(part=part, quantity=D(4), by=None, work_order_id=job.pk)
    put(part, 10, unit_cost=5)  # the average moves on: (6*2 + 10*5) / 16 = 3.875

    returned = stock.part_return(part=part, quantity=D(3), by=None, work_order_id=job.pk)

    assert returned.kind == "return"
    assert returned.unit_cost == D("2.0000")
    assert returned.total_cost == D("6.00")
    # 16 at 3.875 plus 3 at 2: (62 + 6) / 19
    assert fresh(part).unit_cost == D("3.5789")
    with pytest.raises(Conflict) as over:
        stock.part_return(part=part, quantity=D(2), by=None, work_order_id=job.pk)
    assert over.value.code == "over_return"
    assert fresh(part).quantity_on_hand == 19


def test_a_stock_level_can_never_be_negative_in_the_database(in_alpha):
    part = PartFactory()
    put(part, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(part=part).update(quantity=D(-1))


def test_restock_without_any_location_goes_to_the_main_storeroom(in_alpha):
    part = PartFactory(location=None)

    movement = put(part, 1)

    assert movement.location == StockLocation.objects.get(is_main=True)


def test_parts_with_history_cannot_be_deleted_but_fresh_ones_can(in_alpha):
    used, unused = PartFactory(), PartFactory()
    put(used, 1)

    with pytest.raises(Conflict):
        catalog.part_delete(part=used, by=None)
    catalog.part_delete(part=unused, by=None)

    assert fresh(used)
    assert AuditEntry.objects.filter(action="part.delete", object_id=str(unused.pk)).exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"counted": D("1.0005")},
        {"counted": D(-1)},
        {"counted": "3"},
        {"delta": D("0.0001")},
        {"delta": D(0)},
        {"delta": "x"},
        {"delta": True},
    ],
)
def test_adjust_refuses_values_that_do_not_fit_the_ledger(in_alpha, kwargs):
    part = PartFactory()
    put(part, 2)

    with pytest.raises(InvalidInput):
        stock.part_adjust(part=part, by=None, reason="correction", **kwargs)

    assert fresh(part).quantity_on_hand == 2


@pytest.mark.parametrize("unit_cost", [D("-1"), D("1.00001"), D("1e10"), 2.5, "3"])
def test_restock_refuses_costs_that_do_not_fit(in_alpha, unit_cost):
    part = PartFactory()

    with pytest.raises(InvalidInput):
        stock.part_restock(part=part, quantity=D(1), by=None, unit_cost=unit_cost)

    assert fresh(part).quantity_on_hand == 0


def test_a_part_still_referenced_elsewhere_is_a_conflict_not_an_error(in_alpha):
    # Any PROTECT reference without ledger rows (here a bare level row; in real life a work
    # order line of the maintenance app) must refuse the delete as a 409, for every caller.
    part = PartFactory()
    StockLevel.objects.create(part=part, location=StockLocationFactory(), quantity=D(0))

    with pytest.raises(Conflict) as refused:
        catalog.part_delete(part=part, by=None)

    assert refused.value.code == "protected"
    assert fresh(part)
    assert not AuditEntry.objects.filter(action="part.delete", object_id=str(part.pk)).exists()
