"""Every page of the tenant admin opens for the people who use it, on realistic data.

The demo data of every app fills the tenant, then each registered model's list
(plain, searched, sorted by each column), add form, change form (of its first and
last object), history and delete confirmation is opened as a manager and as a
planner (the roles that use the admin), with the back office's own pages: the
dashboard, the calendar, every change-page button's form on an object in each
status, a QR label and a stored photo. A page may be refused (403) or redirect,
never fail.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django_tenants.utils import tenant_context

from config import urls_tenant

pytestmark = pytest.mark.django_db
TENANT_URLS = urls_tenant.__name__


def _pages(model_admin: admin.ModelAdmin, first_pk: object) -> list[str]:
    meta = model_admin.model._meta
    name = f"admin:{meta.app_label}_{meta.model_name}"
    changelist = reverse(f"{name}_changelist", urlconf=TENANT_URLS)
    pages = [changelist, f"{changelist}?q=a", reverse(f"{name}_add", urlconf=TENANT_URLS)]
    pages += [f"{changelist}?o={index}" for index in range(1, len(model_admin.list_display) + 1)]
    if first_pk is not None:
        pages += [
            reverse(f"{name}_change", args=[first_pk], urlconf=TENANT_URLS),
            reverse(f"{name}_history", args=[first_pk], urlconf=TENANT_URLS),
            reverse(f"{name}_delete", args=[first_pk], urlconf=TENANT_URLS),
        ]
    return pages


def _back_office_pages(registry: list) -> list[str]:
    """The pages that are not a model's list or form: home, calendar, the change pages'
    buttons on an object in every status, a printable QR label, a stored photo."""
    pages = ["/admin/", "/admin/maintenance/workorder/calendar/"]
    pages += ["/admin/maintenance/workorder/calendar/?view=week&date=2026-03-29"]
    for model, model_admin in registry:
        meta = model._meta
        if model_admin.actions_detail:
            objects = model._default_manager
            statuses = set(objects.values_list("status", flat=True))
            for status in sorted(statuses):
                pk = objects.filter(status=status).values_list("pk", flat=True).first()
                change = reverse(
                    f"admin:{meta.app_label}_{meta.model_name}_change",
                    args=[pk],
                    urlconf=TENANT_URLS,
                )
                for name in model_admin.actions_detail:
                    path = model_admin.get_unfold_action(name).path
                    pages.append(change.replace("/change/", f"/{path}/"))
    asset = apps.get_model("assets", "Asset")._default_manager.values_list("pk", flat=True).first()
    if asset is not None:
        pages.append(f"/admin/assets/asset/{asset}/qr/print/")
    photo = apps.get_model("maintenance", "Attachment")._default_manager.first()
    if photo is not None:
        pages.append(f"/admin/maintenance/workorder/attachment/{photo.pk}/")
    return pages


def test_every_admin_page_opens(demo_tenant, admin_client):
    with tenant_context(demo_tenant.tenant):
        registry = list(admin.site._registry.items())
        first = {
            model: model._default_manager.values_list("pk", flat=True).first()
            for model, _ in registry
        }
        last = {
            model: model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
            for model, _ in registry
        }
        extra = _back_office_pages(registry)
    # One test for both roles: filling a tenant with the demo data is the slow part.
    for role in ("manager", "planner"):
        client = admin_client(role, tenant=demo_tenant)
        opened = 0
        for model, model_admin in registry:
            pages = _pages(model_admin, first[model])
            if last[model] != first[model]:
                meta = model._meta
                name = f"admin:{meta.app_label}_{meta.model_name}_change"
                pages.append(reverse(name, args=[last[model]], urlconf=TENANT_URLS))
            for page in pages:
                response = client.get(page)
                assert response.status_code in (200, 302, 403), (role, page, response.status_code)
                opened += response.status_code == 200
        for page in extra:
            response = client.get(page)
            assert response.status_code in (200, 302, 403), (role, page, response.status_code)
        assert opened > len(registry)  # the role really saw pages, not only refusals
        assert client.get("/admin/").status_code == 200
