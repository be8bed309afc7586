"""/api/v1/users/: managers administer people and roles; nobody else may."""

import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import tenant_context

from core.models import AuditEntry, User
from core.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_manager_lists_users_with_their_roles(api, alpha):
    response = api("manager").get("/api/v1/users/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    roles = {row["username"]: row["role"] for row in body["results"]}
    assert roles["technician"] == "technician"
    assert roles[f"owner@{alpha.domain}"] == "manager"
    assert all("password" not in row for row in body["results"])


@pytest.mark.parametrize("role", ["planner", "technician", "requester", "viewer"])
def test_only_managers_administer_users(api, alpha, role):
    client = api(role)
    target = alpha.users["viewer"].pk

    assert client.get("/api/v1/users/").status_code == 403
    assert client.get(f"/api/v1/users/{target}/").status_code == 403
    assert client.post("/api/v1/users/", {"username": "x", "password": PASSWORD}).status_code == 403
    assert client.patch(f"/api/v1/users/{target}/", {"role": "manager"}).status_code == 403
    assert client.delete(f"/api/v1/users/{target}/").status_code == 403


def test_anonymous_is_401(api):
    assert api(None).get("/api/v1/users/").status_code == 401


def test_manager_creates_a_technician_who_can_sign_in(api, alpha):
    response = api("manager").post(
        "/api/v1/users/",
        {
            "username": "new.tech",
            "email": "tech@example.com",
            "password": PASSWORD,
            "role": "technician",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "technician"
    assert "password" not in body
    signed_in = api(None).post(
        "/api/v1/auth/token/", {"username": "new.tech", "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    with tenant_context(alpha.tenant):
        entry = AuditEntry.objects.get(action="user.create", object_id=str(body["id"]))
        assert entry.actor_id == alpha.users["manager"].pk
        assert entry.changes["role"] == {"before": None, "after": "technician"}


def test_new_user_defaults_to_least_privilege(api):
    response = api("manager").post("/api/v1/users/", {"username": "someone", "password": PASSWORD})

    assert response.status_code == 201
    assert response.json()["role"] == "viewer"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "weak", "password": "123"}, "password"),
        ({"username": "nopass"}, "password"),
        ({"username": "TECHNICIAN", "password": PASSWORD}, "username"),
        ({"username": "badrole", "password": PASSWORD, "role": "admin"}, "role"),
        ({"username": "bad email", "password": PASSWORD, "email": "not-an-email"}, "email"),
        ({"username": "", "password": PASSWORD}, "username"),
    ],
)
def test_bad_user_input_is_a_field_error_and_creates_nothing(api, alpha, payload, field):
    with tenant_context(alpha.tenant):
        before = User.objects.count()

    response = api("manager").post("/api/v1/users/", payload)

    assert response.status_code == 400
    assert field in response.json()
    with tenant_context(alpha.tenant):
        assert User.objects.count() == before


def test_changing_role_moves_the_user_between_groups(api, alpha):
    target = alpha.users["viewer"]

    response = api("manager").patch(f"/api/v1/users/{target.pk}/", {"role": "planner"})

    assert response.status_code == 200
    assert response.json()["role"] == "planner"
    with tenant_context(alpha.tenant):
        target.refresh_from_db()
        assert list(target.groups.values_list("name", flat=True)) == ["planner"]
        assert target.is_staff  # planners use the admin
        assert AuditEntry.objects.filter(action="user.update", object_id=str(target.pk)).exists()


def test_password_change_is_audited_without_the_password(api, alpha):
    target = alpha.users["viewer"]

    response = api("manager").patch(f"/api/v1/users/{target.pk}/", {"password": "An0ther-Secret!"})

    assert response.status_code == 200
    with tenant_context(alpha.tenant):
        entry = AuditEntry.objects.get(action="user.update", object_id=str(target.pk))
    assert "An0ther" not in str(entry.changes)
    assert "password" in entry.changes


def test_the_last_active_manager_cannot_be_demoted_or_deactivated(api, alpha):
    client = api("manager")
    with tenant_context(alpha.tenant):
        owner = User.objects.get(username=f"owner@{alpha.domain}")
    assert client.patch(f"/api/v1/users/{owner.pk}/", {"role": "viewer"}).status_code == 200

    demote_self = client.patch(f"/api/v1/users/{alpha.users['manager'].pk}/", {"role": "planner"})
    deactivate_self = client.patch(
        f"/api/v1/users/{alpha.users['manager'].pk}/", {"is_active": False}
    )

    assert demote_self.status_code == 409
    assert demote_self.json() == {
        "detail": "A tenant must keep at least one active manager.",
        "code": "last_manager",
    }
    assert deactivate_self.status_code == 409


def test_manager_deletes_a_user_but_not_themselves(api, alpha):
    client = api("manager")
    with tenant_context(alpha.tenant):
        doomed = user_create(by=None, username="temp", password=PASSWORD)

    assert client.delete(f"/api/v1/users/{doomed.pk}/").status_code == 204
    assert client.get(f"/api/v1/users/{doomed.pk}/").status_code == 404
    own = client.delete(f"/api/v1/users/{alpha.users['manager'].pk}/")
    assert own.status_code == 409
    assert own.json()["code"] == "self_delete"


def test_users_of_another_tenant_are_invisible(api, alpha, beta):
    with tenant_context(beta.tenant):
        only_in_beta = user_create(by=None, username="beta.only", password=PASSWORD)

    client = api("manager", tenant=alpha)
    listed = client.get("/api/v1/users/", {"page_size": 500}).json()["results"]

    assert "beta.only" not in {row["username"] for row in listed}
    assert client.get(f"/api/v1/users/{only_in_beta.pk}/").status_code == 404


def test_filters_search_and_ordering(api):
    client = api("manager")

    by_role = client.get("/api/v1/users/", {"role": "technician"}).json()
    searched = client.get("/api/v1/users/", {"search": "planner"}).json()
    ordered = client.get("/api/v1/users/", {"ordering": "-username"}).json()["results"]

    assert [row["username"] for row in by_role["results"]] == ["technician"]
    assert [row["username"] for row in searched["results"]] == ["planner"]
    assert [row["username"] for row in ordered] == sorted(
        (row["username"] for row in ordered), reverse=True
    )


def test_page_size_is_capped_at_500(api, alpha):
    with tenant_context(alpha.tenant):
        group = Group.objects.get(name="viewer")
        users = User.objects.bulk_create(User(username=f"bulk{i:03d}") for i in range(510))
        group.user_set.add(*users)

    body = api("manager").get("/api/v1/users/", {"page_size": 1000}).json()

    assert body["count"] == 516
    assert len(body["results"]) == 500
    assert body["next"] is not None
