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


def sign_in_from(tenant, address, username, password=PASSWORD, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return APIClient(HTTP_HOST=tenant.domain, REMOTE_ADDR=address, **extra).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_failed_sign_ins_are_throttled_per_address_and_username(alpha):
    for _ in range(3):
        assert sign_in_from(alpha, "10.0.0.1", "viewer", "wrong").status_code == 401

    blocked = sign_in_from(alpha, "10.0.0.1", "viewer")  # that address waits out the lock

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # Another person at the same address is not locked out by someone else's typos.
    assert sign_in_from(alpha, "10.0.0.1", "planner").status_code == 200


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_nobody_can_lock_a_user_out_from_elsewhere(alpha):
    for attacker in range(5):
        for _ in range(4):
            sign_in_from(alpha, f"10.9.9.{attacker}", "viewer", "wrong")

    assert sign_in_from(alpha, "10.0.0.7", "viewer").status_code == 200


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_one_address_trying_many_usernames_is_throttled(alpha):
    for n in range(12):
        sign_in_from(alpha, "10.0.0.2", f"someone{n}", "wrong")

    assert sign_in_from(alpha, "10.0.0.2", "viewer").status_code == 429


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_a_forged_forwarded_for_header_does_not_escape_the_login_throttle(alpha):
    for n in range(3):
        sign_in_from(alpha, "10.0.0.3", "viewer", "wrong", forwarded=f"203.0.113.{n}")

    assert sign_in_from(alpha, "10.0.0.3", "viewer", forwarded="203.0.113.99").status_code == 429


@override_settings(LOGIN_FAILURES_ALLOWED=3, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(alpha):
    proxy = "10.0.0.254"
    for _ in range(3):
        sign_in_from(alpha, proxy, "viewer", "wrong", forwarded="spoofed, 203.0.113.5")

    # The proxy appended the real client; what the client wrote before it is ignored.
    assert sign_in_from(alpha, proxy, "viewer", forwarded="other, 203.0.113.5").status_code == 429
    assert sign_in_from(alpha, proxy, "viewer", forwarded="203.0.113.6").status_code == 200


@override_settings(LOGIN_FAILURES_ALLOWED=3)
def test_login_lock_on_one_tenant_does_not_lock_the_same_username_elsewhere(alpha, beta):
    for _ in range(3):
        sign_in_from(alpha, "10.0.0.4", "viewer", "wrong")

    assert sign_in_from(alpha, "10.0.0.4", "viewer").status_code == 429
    assert sign_in_from(beta, "10.0.0.4", "viewer").status_code == 200


def test_successful_sign_ins_are_not_counted_as_failures(alpha):
    with override_settings(LOGIN_FAILURES_ALLOWED=2):
        for _ in range(5):
            assert sign_in(alpha, "viewer").status_code == 200
