"""A manager's day in the back office, in a real browser against the real server.

Playwright drives the system's Chromium (Debian's package at ``CHROMIUM``, by default
``/usr/bin/chromium``; ``make test`` installs it). A missing browser fails the run
with the way to install it: these journeys are the proof the back office works.
Each journey saves screenshots under ``var/screenshots/``.
"""

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import TypeVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from assets.models import Asset
from inventory.models import Part
from maintenance import services
from maintenance.models import WorkOrder, WorkRequest
from tests.conftest import PASSWORD
from tests.maintenance.factories import png, stocked_part

pytestmark = pytest.mark.live
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
T = TypeVar("T")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def browser(seeded) -> Iterator[object]:
    """Started after the data is written: writes publish events, which Playwright's loop
    on this thread would get in the way of."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium, "
            "which `make test` does) or set CHROMIUM to its path.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def read(tenant, query: Callable[[], T]) -> T:
    """Look in the database while the browser runs: Playwright keeps an event loop on the
    test's thread, so the look happens on a thread (and a connection) of its own."""
    found: list[T] = []

    def look() -> None:
        try:
            with tenant_context(tenant.tenant):
                found.append(query())
        finally:
            connections.close_all()

    worker = threading.Thread(target=look)
    worker.start()
    worker.join()
    assert found, "the database could not be read"
    return found[0]


@pytest.fixture
def seeded(committed):
    """A tenant with known figures: two open jobs, one of them overdue, a part in stock,
    a request with a photo."""
    alpha = committed["alpha"]
    now = timezone.now()
    with tenant_context(alpha.tenant):
        overdue = services.work_order_create(
            by=None, title="Replace the conveyor belt", due_at=now - timedelta(days=2)
        )
        services.work_order_create(
            by=None, title="Grease the bearings", due_at=now + timedelta(days=3)
        )
        belt = stocked_part("BELT-42", 4, unit_cost="30.00", reorder_point=D(1))
        photo = SimpleUploadedFile("leak.png", png(), content_type="image/png")
        request = services.work_request_create(
            by=alpha.users["requester"],
            title="Oil under press 3",
            description="A puddle since this morning",
            photos=[photo],
        )
    return {"tenant": alpha, "overdue": overdue, "belt": belt, "request": request}


@pytest.fixture
def manager(seeded, asgi_server, browser) -> Iterator[tuple[object, str]]:
    tenant = seeded["tenant"]
    base = f"http://{tenant.domain}:{asgi_server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    try:
        page.wait_for_url(f"{base}/admin/")
    except Exception:
        shot(page, "0-sign-in-failed")
        raise AssertionError(f"signing in ended on {page.url}") from None
    yield page, base
    context.close()


def shown_after(page: object, label: str) -> str:
    """The first figure the page shows after a field's label."""
    text = page.locator("#content").inner_text()
    match = re.search(rf"{label}\s+([0-9][0-9.,]*)", text)
    assert match, f"{label} not shown"
    return match.group(1)


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_manager_runs_an_overdue_job_from_dashboard_to_completion(manager, seeded):
    page, base = manager
    overdue: WorkOrder = seeded["overdue"]

    assert page.locator('[data-tile="open"] .cmms-tile-value').inner_text().strip() == "2"
    assert page.locator('[data-tile="overdue"] .cmms-tile-value').inner_text().strip() == "1"
    shot(page, "1-dashboard")

    page.click('[data-tile="overdue"]')
    page.wait_for_url(re.compile(r"/maintenance/workorder/\?overdue=yes$"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert overdue.number in rows.first.inner_text()
    # At 1,280 px the columns a manager acts on are on screen, not scrolled away.
    for column in ("Assigned to", "Due", "SLA", "Total cost"):
        header = page.locator("#result_list thead th", has_text=column).first.bounding_box()
        assert header is not None, column
        assert header["x"] + header["width"] <= 1280, column
    shot(page, "2-overdue-list")
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet, held sideways
    shot(page, "2b-overdue-list-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click(f"#result_list a[href*='/workorder/{overdue.pk}/change/']")
    page.wait_for_url(re.compile(rf"/workorder/{overdue.pk}/change/"))
    assert page.locator("a:has-text('Complete')").count() == 0  # not legal before starting
    page.click("a:has-text('Start')")
    page.click("#service-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/workorder/{overdue.pk}/change/"))
    assert "now in progress" in page.content()
    shot(page, "3-started")

    page.click("a:has-text('Complete')")
    page.fill("input[name=actual_hours]", "1.5")
    page.fill("textarea[name=notes]", "Belt replaced and tensioned")
    page.select_option("select[name=parts-0-part]", str(seeded["belt"].pk))
    page.fill("input[name=parts-0-quantity]", "3")
    shot(page, "4-completion-form")
    page.click("#service-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/workorder/{overdue.pk}/change/"))
    assert "now completed" in page.content()
    shot(page, "5-completed")

    done = read(seeded["tenant"], lambda: WorkOrder.objects.get(pk=overdue.pk))
    belt = read(seeded["tenant"], lambda: Part.objects.get(pk=seeded["belt"].pk))
    assert done.status == "completed"
    assert belt.quantity_on_hand == D("1")
    assert done.parts_cost == D("90.00")
    assert done.total_cost == done.labor_cost + done.parts_cost + done.other_cost
    assert shown_after(page, "Total cost") == f"{done.total_cost}"

    page.goto(f"{base}/admin/inventory/part/{belt.pk}/change/")
    assert D(shown_after(page, "Quantity on hand")) == D("1")
    page.goto(f"{base}/admin/inventory/part/?low_stock=yes")
    assert "BELT-42" in page.locator("#result_list").inner_text()  # 1 left: at reorder point
    shot(page, "6-low-stock")


def test_manager_approves_a_request_with_its_photo(manager, seeded):
    page, base = manager
    request: WorkRequest = seeded["request"]
    page.goto(f"{base}/admin/maintenance/workrequest/{request.pk}/change/")
    photo = page.locator("img.cmms-preview").first
    photo.wait_for()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 48
    shot(page, "7-request")

    page.click("a:has-text('Approve')")
    technician = seeded["tenant"].users["technician"]
    page.select_option("select[name=assigned_to]", str(technician.pk))
    page.select_option("select[name=priority]", "high")
    page.click("#service-form button[type=submit]")
    page.wait_for_url(re.compile(r"/maintenance/workorder/\d+/change/"))
    assert "Approved into WO-" in page.content()
    shot(page, "8-approved")
    approved = read(
        seeded["tenant"],
        lambda: WorkRequest.objects.select_related("work_order").get(pk=request.pk),
    )
    photos = read(seeded["tenant"], lambda: approved.work_order.attachments.count())
    assert approved.status == "approved"
    assert approved.work_order.assigned_to_id == technician.pk
    assert approved.work_order.priority == "high"
    assert photos == 1  # the photo went with the request into the work order


def test_manager_imports_a_file_with_one_bad_row(manager, seeded, tmp_path):
    page, base = manager
    register = tmp_path / "assets.csv"
    register.write_text(
        "asset_id,name,asset_type\n"
        "MIX-1,Mixer,equipment\n"
        "MIX-2,Second mixer,equipment\n"
        "BAD-1,Rocket,spaceship\n"
    )
    page.goto(f"{base}/admin/assets/asset/import/")
    page.set_input_files("input[name=import_file]", str(register))
    page.select_option("select[name=format]", label="csv")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("text=rows are good")
    assert "2 rows are good and will be imported; 1 rows are rejected" in page.content()
    shot(page, "9-import-preview")

    page.click("button:has-text('Confirm import')")
    page.wait_for_url(re.compile(r"/assets/asset/$"))
    content = page.content()
    assert "Row 4 rejected" in content
    assert "spaceship" in content
    shot(page, "10-imported")
    codes = read(seeded["tenant"], lambda: set(Asset.objects.values_list("asset_id", flat=True)))
    assert {"MIX-1", "MIX-2"} <= codes
    assert "BAD-1" not in codes
