"""``import_parts --tenant SCHEMA FILE``: CSV, XLSX, JSON; dry run; rejected rows; idempotent."""

import csv
import io
import json
from decimal import Decimal

import pytest
import tablib
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from inventory.models import Part, StockLevel, StockLocation, StockMovement, Vendor

D = Decimal
pytestmark = pytest.mark.django_db

HEADER = [
    "Part Number",
    "Name",
    "Category",
    "Unit",
    "Reorder Point",
    "Reorder Quantity",
    "Unit Cost",
    "Vendor",
    "Location",
    "Quantity",
    "Stock",
]
GOOD_ROWS = [
    ["BRG-6204", "Bearing 6204", "Bearings", "pcs", "4", "10", "3.20", "Apex", "MAIN", "12", ""],
    ["FLT-0001", "Air filter", "Filters", "box", "2", "5", "15", "Northwind", "MAIN", "", ""],
    [
        "LUB-0046",
        "Hydraulic oil",
        "Lubricants",
        "litre",
        "20",
        "60",
        "4.5",
        "",
        "EAST",
        "",
        "EAST:50; VAN-1:8",
    ],
]
BAD_ROWS = [
    ["BAD-UNIT", "Odd unit", "", "bucket", "", "", "", "", "", "", ""],
    ["BAD-RP", "Negative", "", "", "-1", "", "", "", "", "", ""],
    ["", "No number", "", "", "", "", "", "", "", "", ""],
    ["NO-NAME", "", "", "", "", "", "", "", "", "", ""],
    ["NO-LOC", "Stock nowhere", "", "", "", "", "", "", "", "5", ""],
    ["BAD-STOCK", "Bad stock", "", "", "", "", "", "", "", "", "MAIN:lots"],
]


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, tenant, *extra):
    out = io.StringIO()
    try:
        call_command(
            "import_parts",
            str(path),
            "--tenant",
            tenant.schema,
            "--no-progress",
            *extra,
            stdout=out,
        )
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_csv_import_creates_parts_vendors_locations_and_opening_stock(tmp_path, alpha):
    ok, output = run(write_csv(tmp_path / "parts.csv", GOOD_ROWS), alpha)

    assert ok, output
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected" in output
    with tenant_context(alpha.tenant):
        bearing = Part.objects.get(part_number="BRG-6204")
        assert bearing.unit == "each"
        assert bearing.vendor.name == "Apex"
        assert bearing.location.code == "MAIN"
        assert bearing.quantity_on_hand == 12
        assert bearing.unit_cost == D("3.2000")
        receipt = StockMovement.objects.get(part=bearing)
        assert (receipt.kind, receipt.quantity, receipt.unit_cost) == ("receipt", 12, D("3.2"))
        assert receipt.reference == "Opening stock (import)"
        oil = Part.objects.get(part_number="LUB-0046")
        assert oil.unit == "l"
        assert oil.vendor is None
        assert dict(oil.stock_levels.values_list("location__code", "quantity")) == {
            "EAST": 50,
            "VAN-1": 8,
        }
        assert oil.quantity_on_hand == 58
        assert Part.objects.get(part_number="FLT-0001").quantity_on_hand == 0
        assert set(Vendor.objects.values_list("name", flat=True)) == {"Apex", "Northwind"}
        assert set(StockLocation.objects.values_list("code", flat=True)) == {
            "MAIN",
            "EAST",
            "VAN-1",
        }


def test_rerunning_the_same_file_changes_nothing_and_adds_no_stock(tmp_path, alpha):
    path = write_csv(tmp_path / "parts.csv", GOOD_ROWS)
    run(path, alpha)

    ok, output = run(path, alpha)

    assert ok, output
    assert "3 rows: 0 created, 0 updated, 3 unchanged, 0 rejected" in output
    with tenant_context(alpha.tenant):
        assert Part.objects.count() == 3
        assert Part.objects.get(part_number="BRG-6204").quantity_on_hand == 12
        assert StockMovement.objects.count() == 3


def test_rerun_updates_changed_fields_but_never_overwrites_real_stock(tmp_path, alpha):
    run(write_csv(tmp_path / "first.csv", GOOD_ROWS), alpha)
    with tenant_context(alpha.tenant):
        from inventory.services import stock

        bearing = Part.objects.get(part_number="BRG-6204")
        stock.part_usage_record(part=bearing, quantity=D(5), by=None)
    changed = [list(row) for row in GOOD_ROWS]
    changed[0][1] = "Bearing 6204-2RS"
    changed[0][6] = "99"  # ignored: the part has stock history, its average stands
    changed[0][9] = "40"  # ignored: stock already recorded at MAIN

    ok, output = run(write_csv(tmp_path / "second.csv", changed), alpha)

    assert ok, output
    assert "1 updated" in output
    with tenant_context(alpha.tenant):
        bearing = Part.objects.get(part_number="BRG-6204")
        assert bearing.name == "Bearing 6204-2RS"
        assert bearing.quantity_on_hand == 7
        assert bearing.unit_cost == D("3.2000")


def test_rejected_rows_are_reported_with_reasons_and_the_good_rows_land(tmp_path, alpha):
    report = tmp_path / "rejected.csv"

    ok, output = run(
        write_csv(tmp_path / "mixed.csv", GOOD_ROWS + BAD_ROWS), alpha, "--report", str(report)
    )

    assert not ok
    assert "6 rows rejected" in output
    assert "row 5 (BAD-UNIT): unit:" in output
    assert "row 6 (BAD-RP): reorder_point:" in output
    assert "row 7: part_number:" in output
    assert "row 8 (NO-NAME): name:" in output
    assert "row 9 (NO-LOC): an opening quantity needs a location" in output
    assert "row 10 (BAD-STOCK): stock at MAIN:" in output
    rejected = list(csv.DictReader(report.open()))
    assert [row["row"] for row in rejected] == ["5", "6", "7", "8", "9", "10"]
    with tenant_context(alpha.tenant):
        assert set(Part.objects.values_list("part_number", flat=True)) == {
            "BRG-6204",
            "FLT-0001",
            "LUB-0046",
        }


def test_dry_run_checks_everything_and_saves_nothing(tmp_path, alpha):
    ok, output = run(write_csv(tmp_path / "parts.csv", GOOD_ROWS), alpha, "--dry-run")

    assert ok, output
    assert output.strip().startswith("Dry run (nothing saved): 3 rows: 3 created")
    with tenant_context(alpha.tenant):
        assert not Part.objects.exists()
        assert not StockLevel.objects.exists()
        assert not Vendor.objects.exists()


def test_xlsx_and_json_files_import_the_same_way(tmp_path, alpha, beta):
    dataset = tablib.Dataset(*GOOD_ROWS, headers=HEADER)
    xlsx = tmp_path / "parts.xlsx"
    xlsx.write_bytes(dataset.export("xlsx"))
    records = [
        {
            "part_number": "SEL-1",
            "name": "O-ring",
            "unit": "each",
            "unit_cost": 0.35,
            "location": "MAIN",
            "quantity": 100,
            "stock": {"VAN-1": 20},
        },
        {"part_number": "SEL-2", "name": "Shaft seal", "reorder_point": 2},
    ]
    as_json = tmp_path / "parts.json"
    as_json.write_text(json.dumps(records))

    xlsx_ok, xlsx_output = run(xlsx, alpha)
    json_ok, json_output = run(as_json, beta)

    assert xlsx_ok, xlsx_output
    assert json_ok, json_output
    with tenant_context(alpha.tenant):
        assert Part.objects.get(part_number="LUB-0046").quantity_on_hand == 58
    with tenant_context(beta.tenant):
        oring = Part.objects.get(part_number="SEL-1")
        assert oring.quantity_on_hand == 120
        assert oring.unit_cost == D("0.3500")
        assert not Part.objects.filter(part_number="BRG-6204").exists()


def test_the_import_is_audited_as_the_named_user(tmp_path, alpha):
    from core.models import AuditEntry

    run(write_csv(tmp_path / "parts.csv", GOOD_ROWS[:1]), alpha, "--as", "planner")

    with tenant_context(alpha.tenant):
        entry = AuditEntry.objects.get(action="part.create")
        assert entry.actor_username == "planner"
        assert StockMovement.objects.get().actor_username == "planner"


@pytest.mark.parametrize("name", ["parts.txt", "missing.csv"])
def test_unreadable_files_are_a_command_error(tmp_path, alpha, name):
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("part_number\nX\n")

    ok, output = run(path, alpha)

    assert not ok
    assert "Unsupported file type" in output or "No such file" in output
