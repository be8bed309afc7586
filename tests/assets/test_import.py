"""import_assets (CSV, XLSX, JSON) and the admin's import/export, through the same rules."""

import io
import json
from pathlib import Path

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from assets.models import Asset, Location
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = """asset_id,name,asset_type,parent,location,tags,specifications,install_date,purchase_cost,status
PRESS-1,Press,machinery,LINE-1,Main Plant / Hall 1,"press, hydraulic","{""tons"": 400}",2019-05-01,250000,operational
LINE-1,Line 1,system,,Main Plant / Hall 1,production,,,,
MOTOR-1,Motor,component,PRESS-1,,,,,,
BAD-TYPE,Thing,spaceship,,,,,,,
ORPHAN,Orphan,component,NO-SUCH,,,,,,
,No code,tool,,,,,,,
BAD-SPEC,Spec,tool,,,,{not json},,,
BAD-COST,Cost,tool,,,,,,-5,
BAD-DATE,Date,tool,,,,,31/31/2020,,
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def run_import(tenant, path, *extra):
    out = io.StringIO()
    try:
        call_command(
            "import_assets",
            str(path),
            "--tenant",
            tenant.schema,
            "--no-progress",
            *extra,
            stdout=out,
        )
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_good_rows_land_and_bad_rows_are_reported_with_row_numbers(alpha, tmp_path):
    output, error = run_import(alpha, write(tmp_path, "assets.csv", GOOD_AND_BAD))

    assert error is not None
    assert "6 rows rejected" in str(error)
    assert "3 created, 0 updated, 0 unchanged, 6 rejected" in output
    for row, reason in [
        (5, "asset_type"),
        (6, "parent"),
        (7, "asset_id: required"),
        (8, "specifications: not valid JSON"),
        (9, "purchase_cost"),
        (10, "install_date"),
    ]:
        assert any(
            line.startswith(f"row {row}") and reason in line for line in output.splitlines()
        ), (row, output)
    with tenant_context(alpha.tenant):
        press = Asset.objects.get(asset_id="PRESS-1")
        assert press.parent.asset_id == "LINE-1"  # its parent came later in the file
        assert press.tags == ["press", "hydraulic"]
        assert press.specifications == {"tons": 400}
        assert press.location.path == "Main Plant / Hall 1"
        assert Asset.objects.get(asset_id="MOTOR-1").parent == press
        assert AuditEntry.objects.filter(action="asset.create").count() >= 3


def test_dry_run_changes_nothing(alpha, tmp_path):
    output, _ = run_import(alpha, write(tmp_path, "assets.csv", GOOD_AND_BAD), "--dry-run")

    assert output.splitlines()[-1].startswith("Dry run (nothing saved): 9 rows: 3 created")
    with tenant_context(alpha.tenant):
        assert not Asset.objects.exists()
        assert not Location.objects.exists()
        assert not AuditEntry.objects.filter(action__startswith="asset.").exists()


def test_second_run_updates_nothing_and_duplicates_nothing(alpha, tmp_path):
    path = write(tmp_path, "assets.csv", GOOD_AND_BAD)
    run_import(alpha, path)

    output, _ = run_import(alpha, path)

    assert "0 created, 0 updated, 3 unchanged, 6 rejected" in output
    with tenant_context(alpha.tenant):
        assert Asset.objects.count() == 3
        assert Location.objects.count() == 2


def test_a_changed_row_updates_and_empty_cells_leave_fields_alone(alpha, tmp_path):
    run_import(alpha, write(tmp_path, "a.csv", GOOD_AND_BAD))
    changed = "asset_id,name,asset_type,tags\npress-1,Big press,,\n"

    output, error = run_import(alpha, write(tmp_path, "b.csv", changed))

    assert error is None, output
    assert "0 created, 1 updated" in output
    with tenant_context(alpha.tenant):
        press = Asset.objects.get(asset_id="PRESS-1")
        assert press.name == "Big press"
        assert press.tags == ["press", "hydraulic"]


def test_json_and_xlsx_imports(alpha, tmp_path):
    records = [
        {
            "asset_id": "J-1",
            "name": "From JSON",
            "asset_type": "tool",
            "tags": ["a", "b"],
            "specifications": {"x": 1},
        },
        {"asset_id": "J-2", "name": "Child", "asset_type": "component", "parent": "J-1"},
    ]
    sheet = tablib.Dataset(headers=["asset_id", "name", "asset_type", "install_date"])
    sheet.append(["X-1", "From Excel", "instrument", "2021-03-04"])

    json_out, json_error = run_import(alpha, write(tmp_path, "a.json", json.dumps(records)))
    xlsx_out, xlsx_error = run_import(alpha, write(tmp_path, "a.xlsx", sheet.export("xlsx")))

    assert json_error is None, json_out
    assert xlsx_error is None, xlsx_out
    with tenant_context(alpha.tenant):
        assert Asset.objects.get(asset_id="J-2").parent.asset_id == "J-1"
        assert Asset.objects.get(asset_id="J-1").tags == ["a", "b"]
        assert str(Asset.objects.get(asset_id="X-1").install_date) == "2021-03-04"


def test_report_file_lists_rejected_rows(alpha, tmp_path):
    report = tmp_path / "rejected.csv"

    run_import(alpha, write(tmp_path, "assets.csv", GOOD_AND_BAD), "--report", str(report))

    rows = list(tablib.Dataset().load(report.read_text(), format="csv").dict)
    assert [int(row["row"]) for row in rows] == [5, 6, 7, 8, 9, 10]
    assert rows[0]["key"] == "BAD-TYPE"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", "x", "Unsupported file type"),
        ("a.json", "{not json", "could not be read"),
        ("a.json", '{"asset_id": "x"}', "list of objects"),
    ],
)
def test_unreadable_files_are_refused(alpha, tmp_path, name, content, message):
    _, error = run_import(alpha, write(tmp_path, name, content))

    assert message in str(error)


def test_unknown_tenant_or_file_is_refused(alpha, tmp_path):
    with pytest.raises(CommandError, match="No ready tenant"):
        call_command("import_assets", str(tmp_path / "x.csv"), "--tenant", "nobody")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_assets", str(tmp_path / "x.csv"), "--tenant", alpha.schema)


def test_import_is_per_tenant(alpha, beta, tmp_path):
    run_import(alpha, write(tmp_path, "assets.csv", GOOD_AND_BAD))

    with tenant_context(beta.tenant):
        assert not Asset.objects.exists()


def test_admin_import_lands_the_good_rows_and_reports_the_bad_ones(admin_client, alpha):
    """Like import_assets: one bad row does not refuse the file."""
    client = admin_client("manager")
    upload = SimpleUploadedFile("assets.csv", GOOD_AND_BAD.encode(), content_type="text/csv")

    preview = client.post(
        "/admin/assets/asset/import/", {"import_file": upload, "format": "0", "resource": "0"}
    )

    assert preview.status_code == 200
    content = preview.content.decode()
    assert "specifications: not valid JSON" in content  # the importer's own reasons
    assert "3 rows are good and will be imported; 6 rows are rejected" in content
    with tenant_context(alpha.tenant):
        assert not Asset.objects.exists()  # the preview is a dry run

    form = preview.context["confirm_form"]
    confirmed = client.post(
        "/admin/assets/asset/process_import/", {**form.initial, "resource": "0"}, follow=True
    )

    assert confirmed.status_code == 200
    said = [str(message) for message in confirmed.context["messages"]]
    assert any(m.startswith("Row 5 rejected:") and "spaceship" in m for m in said), said
    assert sum("rejected:" in m for m in said) == 6
    with tenant_context(alpha.tenant):
        assert set(Asset.objects.values_list("asset_id", flat=True)) == {
            "LINE-1",
            "PRESS-1",
            "MOTOR-1",
        }


def test_admin_import_of_only_bad_rows_offers_nothing_to_confirm(admin_client, alpha):
    client = admin_client("manager")
    bad = GOOD_AND_BAD.splitlines()[0] + "\n" + GOOD_AND_BAD.splitlines()[4] + "\n"
    upload = SimpleUploadedFile("bad.csv", bad.encode(), content_type="text/csv")
    preview = client.post(
        "/admin/assets/asset/import/", {"import_file": upload, "format": "0", "resource": "0"}
    )
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None


def test_admin_export_imports_back_unchanged(admin_client, alpha, tmp_path):
    run_import(alpha, write(tmp_path, "assets.csv", GOOD_AND_BAD))
    client = admin_client("manager")

    exported = client.post(
        "/admin/assets/asset/export/",
        {
            "format": "0",
            "resource": "0",
            **{
                f"assetresource_{f}": "on"
                for f in (
                    "asset_id",
                    "name",
                    "asset_type",
                    "status",
                    "condition",
                    "criticality",
                    "parent",
                    "location",
                    "description",
                    "manufacturer",
                    "model",
                    "serial_number",
                    "department",
                    "responsible_person",
                    "tags",
                    "specifications",
                    "install_date",
                    "purchase_cost",
                )
            },
        },
    )

    assert exported.status_code == 200, exported.content[:500]
    output, error = run_import(alpha, write(tmp_path, "export.csv", exported.content))
    assert error is None, output
    assert "0 created, 0 updated, 3 unchanged" in output


# --- Batches: new assets are registered many at a time, with the rules of one ----------


def _rows(*records: dict) -> list:
    from core.importing import Row

    return [Row(number=index + 2, data=data) for index, data in enumerate(records)]


def test_new_assets_are_written_in_batches_not_row_by_row(in_alpha, django_assert_max_num_queries):
    from assets.importing import AssetImporter

    rows = _rows(
        *(
            {
                "asset_id": f"B-{n:03d}",
                "name": f"Machine {n}",
                "asset_type": "machinery",
                "parent": "LINE" if n else None,
                "location": "Main Plant / Hall 1",
                "status": "maintenance" if n % 50 == 0 else None,
            }
            for n in range(300)
        ),
        {"asset_id": "LINE", "name": "Line", "asset_type": "system"},
    )

    # Row by row this is over 2,000 queries; in batches it is a few per batch.
    with django_assert_max_num_queries(80):
        report = AssetImporter(by=None).run(rows)

    assert report.summary().startswith("301 rows: 301 created, 0 updated")
    assert Asset.objects.filter(parent__asset_id="LINE").count() == 299
    assert Asset.objects.get(asset_id="B-100").location.path == "Main Plant / Hall 1"
    assert AuditEntry.objects.filter(action="asset.create").count() == 301
    down = Asset.objects.get(asset_id="B-050")
    assert down.downtimes.filter(ended_at__isnull=True).count() == 1
    assert down.location_changes.count() == 1


def test_rows_that_need_the_waiting_batch_wait_for_it(in_alpha):
    from assets.importing import AssetImporter

    rows = _rows(
        {"asset_id": "P-1", "name": "Pump", "asset_type": "equipment"},
        {"asset_id": "p-1", "name": "Pump, renamed", "asset_type": "equipment"},
        {"asset_id": "M-1", "name": "Motor", "asset_type": "component", "parent": "P-1"},
        {"asset_id": "P-2", "name": "Second pump", "asset_type": "equipment"},
    )
    importer = AssetImporter(by=None)
    importer.batch_size = 10

    report = importer.run(rows)

    assert (report.created, report.updated, report.rejected) == (3, 1, [])
    assert Asset.objects.get(asset_id="P-1").name == "Pump, renamed"  # the later row wins
    assert Asset.objects.get(asset_id="M-1").parent.asset_id == "P-1"


def test_a_row_that_spoils_its_batch_is_named_and_the_others_land(in_alpha):
    from assets.importing import AssetImporter
    from assets.services import registry

    class RegisteredMeanwhile(AssetImporter):
        """Someone registers R-2 by hand after the file was read, before it is written."""

        def order(self, rows):
            ordered = super().order(rows)
            registry.asset_create(by=None, asset_id="r-2", name="By hand", asset_type="tool")
            return ordered

    rows = _rows(
        *(
            {"asset_id": f"R-{n}", "name": f"Tool {n}", "asset_type": "tool", "location": "Store"}
            for n in (1, 2, 3)
        )
    )

    report = RegisteredMeanwhile(by=None).run(rows)

    assert (report.created, [r.number for r in report.rejected]) == (2, [3])
    assert "already exists" in report.rejected[0].reason
    assert Asset.objects.get(asset_id="r-2").name == "By hand"
    assert set(Asset.objects.values_list("asset_id", flat=True)) == {"R-1", "r-2", "R-3"}
    assert Location.objects.filter(name="Store").count() == 1


def test_a_single_row_imported_on_its_own_is_registered_by_the_same_rules(in_alpha):
    from assets.importing import AssetImporter

    importer = AssetImporter(by=None)
    importer.order([])

    outcome, asset = importer.import_row(
        {"asset_id": "SOLO-1", "name": "Solo", "asset_type": "tool", "location": "Store"}
    )

    assert outcome == "created"
    assert asset.location.path == "Store"
    assert AuditEntry.objects.filter(action="asset.create", object_id=str(asset.pk)).exists()
    assert importer.import_row({"asset_id": "solo-1", "name": "Solo 2"})[0] == "updated"
