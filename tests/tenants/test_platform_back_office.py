"""The platform admin keeps working in the back office's theme, with its own menu."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_platform_admin_has_its_own_menu_and_no_tenant_dashboard(db):
    with schema_context("public"):
        staff = User.objects.create_superuser("root", "root@platform.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)

    index = client.get("/admin/")
    assert index.status_code == 200
    items = [
        item["link"] for group in index.context["sidebar_navigation"] for item in group["items"]
    ]
    assert "/admin/tenants/tenant/" in items
    assert any("django_celery_beat" in link for link in items)
    assert b"cmms-tile" not in index.content  # the tenants' dashboard is theirs alone
    assert b"CMMS platform" in index.content
    for page in items:
        assert client.get(page).status_code == 200, page
