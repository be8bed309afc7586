"""The admin's home page: the tenant's own figures, each tile linking to its list."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maintenance import services
from sla.models import WorkOrderClock
from sla.services.policies import policy_create
from tests.maintenance.factories import stocked_part

pytestmark = pytest.mark.django_db


def tile(page: str, key: str) -> tuple[str, str]:
    """(value, link) of one KPI tile."""
    match = re.search(
        rf'<a class="cmms-tile" href="([^"]+)" data-tile="{key}">.*?cmms-tile-value">([^<]*)<',
        page,
        re.S,
    )
    assert match, key
    return match.group(2).strip(), match.group(1).replace("&amp;", "&")


def seed(tenant) -> dict:
    now = timezone.now()
    policy_create(by=None, name="Standard", response_minutes=60, resolution_minutes=480)
    late = services.work_order_create(by=None, title="Late job", due_at=now - timedelta(days=1))
    soon = services.work_order_create(by=None, title="Due soon", due_at=now + timedelta(days=2))
    later = services.work_order_create(by=None, title="Due later", due_at=now + timedelta(days=20))
    done = services.work_order_create(by=None, title="Done job", due_at=now - timedelta(days=2))
    services.work_order_start(by=None, work_order=done)
    services.work_order_complete(by=None, work_order=done)
    # The response clock of "Due soon" is past its warning point, not yet due.
    WorkOrderClock.objects.filter(work_order=soon).update(
        response_warn_at=now - timedelta(minutes=5), response_due_at=now + timedelta(minutes=30)
    )
    low = stocked_part("LOW-9", 1, reorder_point=D(4))
    stocked_part("PLENTY-9", 50, reorder_point=D(4))
    return {"late": late, "soon": soon, "later": later, "done": done, "low": low}


def test_tiles_show_this_tenants_figures_and_link_to_their_lists(admin_client, in_alpha):
    made = seed(in_alpha)
    client = admin_client("manager")
    page = client.get("/admin/").content.decode()

    assert tile(page, "open")[0] == "3"
    value, link = tile(page, "overdue")
    assert value == "1"
    listing = client.get(link).content.decode()
    assert made["late"].number in listing
    assert made["soon"].number not in listing
    assert made["done"].number not in listing

    value, link = tile(page, "breaching")
    assert value == "1"
    listing = client.get(link).content.decode()
    assert made["soon"].number in listing
    assert made["late"].number not in listing

    for key in ("mttr", "mtbf", "pm", "availability"):
        value, link = tile(page, key)
        assert client.get(link).status_code == 200, key

    # Charts carry their data and links; the lists name what is due and what is short.
    assert page.count('class="chart"') == 3
    due = page[page.index('id="due-this-week"') :]
    assert made["soon"].number in due[: due.index("</table>")]
    assert made["later"].number not in due[: due.index("</table>")]
    low = page[page.index('id="low-stock"') :]
    assert "LOW-9" in low
    assert "PLENTY-9" not in low
    assert client.get("/admin/inventory/part/?low_stock=yes").status_code == 200


def test_another_tenant_sees_none_of_it(admin_client, in_alpha, beta):
    seed(in_alpha)
    page = admin_client("manager", tenant=beta).get("/admin/").content.decode()
    assert tile(page, "open")[0] == "0"
    assert tile(page, "overdue")[0] == "0"
    assert "LOW-9" not in page
    assert "Beta Works" in page
    assert "Alpha Works" not in page


def test_the_sidebar_groups_the_managers_jobs_and_hides_token_tables(admin_client, in_alpha):
    response = admin_client("manager").get("/admin/")
    page = response.content.decode()
    groups = response.context["sidebar_navigation"]
    assert [group["title"] for group in groups] == [
        "Work",
        "Assets",
        "Inventory",
        "Planning",
        "Reports",
        "Settings",
    ]
    titles = {group["title"]: [item["title"] for item in group["items"]] for group in groups}
    assert titles["Work"][:2] == ["Work orders", "Work requests"]
    assert "Dashboard" in titles["Reports"]
    assert "Parts" in titles["Inventory"]
    assert "token_blacklist" not in page
    assert "utstanding" not in page  # Outstanding tokens
    assert "django_celery_beat" not in page
    assert "Alpha Works" in page  # the tenant's name brands its back office
