"""The back office's frame: branding, the sidebar grouped by a manager's jobs, the home page.

django-unfold reads these through the ``UNFOLD`` setting. Apps place their models in
the sidebar with ``sidebar_group`` (and ``sidebar_icon``) on their model admins, and
add pages that are not model lists (the dashboard, the calendar) with ``add_page``;
core names no domain app.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

# The manager's jobs, in the order of the menu.
GROUPS: tuple[str, ...] = ("Work", "Assets", "Inventory", "Planning", "Reports", "Settings")
GROUP_ICONS = {
    "Work": "construction",
    "Assets": "precision_manufacturing",
    "Inventory": "inventory_2",
    "Planning": "event_repeat",
    "Reports": "monitoring",
    "Settings": "settings",
}
# Where an app's models go when their admin names no group.
APP_GROUPS = {
    "maintenance": "Work",
    "assets": "Assets",
    "iot": "Assets",
    "inventory": "Inventory",
    "analytics": "Reports",
    "sla": "Settings",
    "notifications": "Settings",
    "cmms_sync": "Settings",
    "core": "Settings",
}


@dataclass(frozen=True)
class Page:
    """A page of the menu that is not a model's list."""

    group: str
    title: str
    url_name: str
    icon: str
    order: int
    allowed: Callable[[HttpRequest], bool]


_pages: list[Page] = []
_dashboard: list[Callable[[HttpRequest, dict[str, Any]], dict[str, Any]]] = []


def add_page(
    group: str,
    title: str,
    url_name: str,
    *,
    icon: str = "article",
    order: int = 50,
    allowed: Callable[[HttpRequest], bool] = lambda request: True,
) -> None:
    if group not in GROUPS:
        raise ValueError(f"{group} is not one of {GROUPS}")
    if not any(page.url_name == url_name for page in _pages):
        _pages.append(Page(group, title, url_name, icon, order, allowed))


def set_dashboard(build: Callable[[HttpRequest, dict[str, Any]], dict[str, Any]]) -> None:
    """The app that owns the figures fills the admin's home page."""
    _dashboard[:] = [build]


def tenant_name(request: HttpRequest | None = None) -> str:
    tenant = getattr(connection, "tenant", None)
    name = getattr(tenant, "name", "") or ""
    schema = getattr(tenant, "schema_name", "public")
    return "" if schema == "public" else name


def site_title(request: HttpRequest) -> str:
    name = tenant_name(request)
    return f"{name} · {settings.PRODUCT_NAME}" if name else settings.PRODUCT_NAME


def site_header(request: HttpRequest) -> str:
    return tenant_name(request) or settings.PRODUCT_NAME


def site_subheader(request: HttpRequest) -> str:
    return f"{settings.PRODUCT_NAME} back office"


def stylesheet(request: HttpRequest) -> str:
    return static("core/admin.css")


def dashboard(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    for build in _dashboard:
        context = build(request, context)
    return context


def _model_group(model_admin: admin.ModelAdmin) -> str:
    group = getattr(model_admin, "sidebar_group", None)
    return group or APP_GROUPS.get(model_admin.model._meta.app_label, "Settings")


def build_navigation(
    site: admin.AdminSite, request: HttpRequest, pages: list[Page]
) -> list[dict[str, Any]]:
    """The sidebar: for each job, the pages and the lists this person may open."""
    items: dict[str, list[tuple[int, str, dict[str, Any]]]] = {group: [] for group in GROUPS}
    for page in pages:
        if not page.allowed(request):
            continue
        try:
            link = reverse(f"{site.name}:{page.url_name}")
        except NoReverseMatch:
            continue
        items[page.group].append(
            (page.order, page.title, {"title": page.title, "icon": page.icon, "link": link})
        )
    for model, model_admin in site._registry.items():
        if getattr(model_admin, "sidebar_hidden", False):
            continue
        if not model_admin.has_view_or_change_permission(request):
            continue
        meta = model._meta
        plural = str(meta.verbose_name_plural)
        title = plural[:1].upper() + plural[1:]
        link = reverse(f"{site.name}:{meta.app_label}_{meta.model_name}_changelist")
        entry = {
            "title": title,
            "icon": getattr(model_admin, "sidebar_icon", "table"),
            "link": link,
        }
        order = getattr(model_admin, "sidebar_order", 60)
        items.setdefault(_model_group(model_admin), []).append((order, title, entry))
    return [
        {
            "title": group,
            "icon": GROUP_ICONS.get(group),
            "separator": True,
            "collapsible": False,
            "items": [entry for _, _, entry in sorted(rows, key=lambda row: row[:2])],
        }
        for group, rows in items.items()
        if rows
    ]


def tenant_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    return build_navigation(admin.site, request, _pages)
