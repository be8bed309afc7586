"""The five roles of a tenant and the permissions each one carries.

A role is a Django group of the same name. Core grants the broad rules; each
domain app adds what its roles need by declaring ``role_permissions`` on its
AppConfig (``{"technician": ["add_meterreading", "view_*"]}``, patterns over
that app's permission codenames), so core never imports a domain app.
"""

from collections.abc import Iterable
from fnmatch import fnmatchcase

from django.apps import apps
from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    PLANNER = "planner", "Planner"
    TECHNICIAN = "technician", "Technician"
    REQUESTER = "requester", "Requester"
    VIEWER = "viewer", "Viewer"


ROLE_NAMES: frozenset[str] = frozenset(Role.values)

# Roles whose members may sign in to the tenant's Django admin.
STAFF_ROLES: frozenset[str] = frozenset({Role.MANAGER, Role.PLANNER})

# Roles that can be given work (assignees of work orders, labor entries).
WORKER_ROLES: frozenset[str] = frozenset({Role.MANAGER, Role.PLANNER, Role.TECHNICIAN})

# Apps whose records the whole team reads (view_*). Connections to other CMMS products
# are not among them: managers and planners alone read those (cmms_sync's own rules).
DOMAIN_APP_LABELS: frozenset[str] = frozenset({"assets", "maintenance", "inventory", "sla", "iot"})

# What a manager may not touch even in their own tenant: the role definitions
# themselves (fixed by this module) and raw permission rows.
MANAGER_EXCLUDED: frozenset[tuple[str, str]] = frozenset(
    {
        ("auth", "add_group"),
        ("auth", "change_group"),
        ("auth", "delete_group"),
        ("auth", "add_permission"),
        ("auth", "change_permission"),
        ("auth", "delete_permission"),
    }
)


def tenant_app_labels() -> frozenset[str]:
    """Labels of the apps whose tables live in each tenant's schema."""
    from django.conf import settings

    return frozenset(
        apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in settings.TENANT_APPS
    )


def _app_rules(app_label: str) -> dict[str, list[str]]:
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return {}
    return getattr(config, "role_permissions", {}) or {}


def role_grants(role: str, app_label: str, codename: str) -> bool:
    """Whether members of ``role`` hold ``app_label.codename``."""
    if app_label not in tenant_app_labels():
        # Shared apps (tenants, beat schedules) belong to platform staff alone.
        return False
    if role == Role.MANAGER:
        return (app_label, codename) not in MANAGER_EXCLUDED
    if role in (Role.VIEWER, Role.PLANNER, Role.TECHNICIAN) and (
        app_label in DOMAIN_APP_LABELS and codename.startswith("view_")
    ):
        return True
    if role == Role.PLANNER and app_label in {"assets", "maintenance", "inventory"}:
        return True
    patterns: Iterable[str] = _app_rules(app_label).get(str(role), [])
    return any(fnmatchcase(codename, pattern) for pattern in patterns)
