"""Sign-in, tokens bound to their tenant, rotation, revocation, failed-login throttling."""

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from core.auth.tokens import TenantAccessToken, TenantRefreshToken
from core.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(tenant, username, password=PASSWORD):
    return APIClient(HTTP_HOST=tenant.domain).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def me(tenant, access):
    client = APIClient(HTTP_HOST=tenant.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/auth/me/")


def test_sign_in_returns_tokens_and_me_describes_user_and_tenant(alpha):
    response = sign_in(alpha, "technician")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}

    profile = me(alpha, response.json()["access"])

    assert profile.status_code == 200
    body = profile.json()
    assert body["id"] == alpha.users["technician"].pk
    assert body["username"] == "technician"
    assert body["email"] == f"technician@{alpha.domain}"
    assert body["role"] == "technician"
    assert body["tenant"] == {"schema": alpha.schema, "name": "Alpha Works", "domain": alpha.domain}


def test_wrong_password_is_401(alpha):
    assert sign_in(alpha, "technician", "nope").status_code == 401


def test_user_of_one_tenant_cannot_sign_in_on_another(alpha, beta):
    # The owner exists only under alpha's domain name.
    assert sign_in(beta, f"owner@{alpha.domain}").status_code == 401


def test_access_token_minted_on_one_tenant_is_refused_on_another(alpha, beta):
    """The same user id exists in both tenants; the token must still not cross."""
    assert alpha.users["manager"].pk == beta.users["manager"].pk
    access = sign_in(alpha, "manager").json()["access"]

    assert me(alpha, access).status_code == 200
    assert me(beta, access).status_code == 401


def test_refresh_token_minted_on_one_tenant_is_refused_on_another(alpha, beta):
    refresh = sign_in(alpha, "manager").json()["refresh"]

    response = APIClient(HTTP_HOST=beta.domain).post(
        "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
    )

    assert response.status_code == 401


def test_token_without_tenant_claim_is_refused(alpha):
    with tenant_context(alpha.tenant):
        token = TenantAccessToken.for_user(alpha.users["viewer"])
    del token.payload["tenant"]

    assert me(alpha, str(token)).status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_dies(alpha):
    first = sign_in(alpha, "planner").json()
    client = APIClient(HTTP_HOST=alpha.domain)

    rotated = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": first["refresh"]}, format="json"
    )
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    assert me(alpha, rotated.json()["access"]).status_code == 200

    replay = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": first["refresh"]}, format="json"
    )
    assert replay.status_code == 401


def test_revoked_refresh_token_cannot_be_used(alpha):
    tokens = sign_in(alpha, "planner").json()
    client = APIClient(HTTP_HOST=alpha.domain)

    assert (
        client.post(
            "/api/v1/auth/token/revoke/", {"refresh": tokens["refresh"]}, format="json"
        ).status_code
        == 200
    )
    refreshed = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401


def test_refresh_for_deleted_user_is_401_not_500(in_alpha):
    user = User.objects.create_user(username="gone", password=PASSWORD)
    refresh = str(TenantRefreshToken.for_user(user))
    user.delete()

    response = APIClient(HTTP_HOST=in_alpha.domain).post(
        "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
    )

    assert response.status_code == 401


def test_inactive_user_cannot_sign_in_or_use_a_token(in_alpha):
    user = User.objects.create_user(username="leaver", password=PASSWORD)
    access = str(TenantAccessToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert sign_in(in_alpha, "leaver").status_code == 401
    assert me(in_alpha, access).status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-jwt", "Basic abc", "Bearer a.b.c"])
def test_malformed_credentials_are_401(alpha, header):
    client = APIClient(HTTP_HOST=alpha.domain)
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get("/api/v1/auth/me/").status_code == 401


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_failed_sign_ins_are_throttled_per_username(alpha):
    for _ in range(3):
        assert sign_in(alpha, "viewer", "wrong").status_code == 401

    blocked = sign_in(alpha, "viewer")  # even the right password waits out the lock

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # Another person at the same address is not locked out by someone else's typos.
    assert sign_in(alpha, "planner").status_code == 200


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_login_lock_on_one_tenant_does_not_lock_the_same_username_elsewhere(alpha, beta):
    for _ in range(3):
        sign_in(alpha, "viewer", "wrong")

    assert sign_in(alpha, "viewer").status_code == 429
    assert sign_in(beta, "viewer").status_code == 200


def test_successful_sign_ins_are_not_counted_as_failures(alpha):
    with override_settings(LOGIN_FAILURES_ALLOWED=2):
        for _ in range(5):
            assert sign_in(alpha, "viewer").status_code == 200
