"""Moving-average cost on receipts; every issue records its cost, so work-order cost is exact."""

from decimal import Decimal

from inventory.models import StockMovement
from inventory.services import stock
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory
from tests.maintenance.factories import WorkOrderFactory

D = Decimal


def test_receipts_move_the_average_and_issues_carry_it(in_alpha):
    part = PartFactory(unit_cost=D(0))

    put(part, 10, unit_cost=2)
    put(part, 10, unit_cost=4)
    assert fresh(part).unit_cost == D("3.0000")

    [issue] = stock.part_usage_record(
        part=part, quantity=D(5), by=None, work_order_id=WorkOrderFactory().pk
    )
    assert (issue.unit_cost, issue.total_cost) == (D("3.0000"), D("15.00"))
    assert fresh(part).unit_cost == D("3.0000")  # issues do not move the average

    put(part, 5, unit_cost=6)  # (15 * 3 + 5 * 6) / 20
    assert fresh(part).unit_cost == D("3.7500")


def test_average_is_across_all_locations_and_rounded_to_four_places(in_alpha):
    part = PartFactory(unit_cost=D(0))
    other = StockLocationFactory()

    put(part, 3, unit_cost=1)
    put(part, 4, unit_cost=2, location=other)  # (3 + 8) / 7 = 1.571428...

    assert fresh(part).unit_cost == D("1.5714")
    movements = stock.part_usage_record(
        part=part, quantity=D(7), by=None, work_order_id=WorkOrderFactory().pk
    )
    assert [m.unit_cost for m in movements] == [D("1.5714"), D("1.5714")]
    assert sum(m.total_cost for m in movements) == D("11.00")


def test_restock_without_a_cost_keeps_the_average(in_alpha):
    part = PartFactory(unit_cost=D("7.5"))

    movement = put(part, 4)

    assert movement.unit_cost == D("7.5000")
    assert fresh(part).unit_cost == D("7.5000")


def test_first_receipt_after_running_out_sets_the_average_to_its_cost(in_alpha):
    part = PartFactory(unit_cost=D(0))
    put(part, 2, unit_cost=10)
    stock.part_usage_record(part=part, quantity=D(2), by=None)

    put(part, 1, unit_cost=4)

    assert fresh(part).unit_cost == D("4.0000")


def test_work_order_parts_cost_is_the_sum_of_its_issues(in_alpha):
    a, b = PartFactory(unit_cost=D(0)), PartFactory(unit_cost=D(0))
    put(a, 3, unit_cost="0.3333")
    put(b, 10, unit_cost="12.5")

    job = WorkOrderFactory()
    stock.part_usage_record(part=a, quantity=D(3), by=None, work_order_id=job.pk)
    stock.parts_consume(
        lines=[stock.ConsumeLine(part_id=b.pk, quantity=D("2.5"))], by=None, work_order_id=job.pk
    )

    issued = StockMovement.objects.filter(work_order_id=job.pk, kind="issue")
    # 3 x 0.3333 = 0.9999 -> 1.00 and 2.5 x 12.5 = 31.25: exactly what was recorded.
    assert sorted(m.total_cost for m in issued) == [D("1.00"), D("31.25")]
