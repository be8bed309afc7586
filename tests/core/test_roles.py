"""The five roles are groups whose permissions follow core.roles, in every tenant."""

import pytest
from django.contrib.auth.models import Group

from core.roles import Role, role_grants
from core.services import roles_sync

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "app_label", "codename", "granted"),
    [
        ("manager", "core", "change_user", True),
        ("manager", "core", "view_auditentry", True),
        ("manager", "auth", "change_group", False),
        ("manager", "tenants", "view_tenant", False),
        ("manager", "django_celery_beat", "change_periodictask", False),
        ("planner", "assets", "add_asset", True),
        ("planner", "maintenance", "delete_workorder", True),
        ("planner", "sla", "change_slapolicy", False),
        ("planner", "sla", "view_slapolicy", True),
        ("planner", "core", "view_user", False),
        ("technician", "assets", "view_asset", True),
        ("technician", "assets", "delete_asset", False),
        ("requester", "assets", "view_asset", True),  # to pick the asset of a request
        ("requester", "assets", "view_performancerecord", False),
        ("viewer", "maintenance", "view_workorder", True),
        ("viewer", "maintenance", "change_workorder", False),
        ("viewer", "core", "view_auditentry", False),
    ],
)
def test_role_rules(role, app_label, codename, granted):
    assert role_grants(role, app_label, codename) is granted


def test_every_tenant_has_the_five_role_groups(in_alpha):
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(Role.values)


def test_manager_group_holds_user_administration_but_not_role_editing(in_alpha):
    codenames = set(
        Group.objects.get(name="manager").permissions.values_list("codename", flat=True)
    )

    assert {"add_user", "change_user", "delete_user", "view_user", "view_auditentry"} <= codenames
    assert "change_group" not in codenames
    assert not any(name.endswith("tenant") for name in codenames)


def test_roles_sync_is_idempotent(in_alpha):
    first = roles_sync()
    second = roles_sync()

    assert first == second
    assert Group.objects.count() == 5
