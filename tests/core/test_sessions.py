"""Ending sessions: a password change, a deactivation or "sign out everywhere" ends
every token of the user at once and closes their live feeds; a refresh token rotates
exactly once, however many requests present it together."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core import services
from core.models import User
from tests.conftest import PASSWORD


def sign_in(tenant, username, password=PASSWORD):
    response = APIClient(HTTP_HOST=tenant.domain).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def me(tenant, access):
    client = APIClient(HTTP_HOST=tenant.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/auth/me/")


def refresh(tenant, token):
    return APIClient(HTTP_HOST=tenant.domain).post(
        "/api/v1/auth/token/refresh/", {"refresh": token}, format="json"
    )


def assert_ended(tenant, tokens):
    assert me(tenant, tokens["access"]).status_code == 401
    assert refresh(tenant, tokens["refresh"]).status_code == 401


@pytest.mark.django_db
def test_sign_out_everywhere_ends_every_session_of_the_user_only(alpha):
    laptop = sign_in(alpha, "planner")
    phone = sign_in(alpha, "planner")
    colleague = sign_in(alpha, "technician")
    client = APIClient(HTTP_HOST=alpha.domain)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {phone['access']}")

    response = client.post("/api/v1/auth/sign-out-all/")

    assert response.status_code == 204
    assert_ended(alpha, laptop)
    assert_ended(alpha, phone)
    assert me(alpha, colleague["access"]).status_code == 200
    fresh = sign_in(alpha, "planner")
    assert me(alpha, fresh["access"]).status_code == 200
    assert refresh(alpha, fresh["refresh"]).status_code == 200


@pytest.mark.django_db
def test_sign_out_everywhere_needs_a_signed_in_user(alpha):
    assert APIClient(HTTP_HOST=alpha.domain).post("/api/v1/auth/sign-out-all/").status_code == 401


@pytest.mark.django_db
def test_a_password_change_ends_every_session(api, alpha):
    old = sign_in(alpha, "viewer")

    response = api("manager").patch(
        f"/api/v1/users/{alpha.users['viewer'].pk}/",
        {"password": "Another-Long-Pass-77"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert_ended(alpha, old)
    assert me(alpha, sign_in(alpha, "viewer", "Another-Long-Pass-77")["access"]).status_code == 200


@pytest.mark.django_db
def test_a_password_set_in_the_admin_ends_every_session(admin_client, alpha):
    old = sign_in(alpha, "viewer")

    response = admin_client("manager").post(
        f"/admin/core/user/{alpha.users['viewer'].pk}/password/",
        {"password1": "Another-Long-Pass-77", "password2": "Another-Long-Pass-77"},
    )

    assert response.status_code == 302, response.content[:2000]
    assert_ended(alpha, old)


@pytest.mark.django_db
def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(api, alpha):
    old = sign_in(alpha, "viewer")
    manager = api("manager")
    url = f"/api/v1/users/{alpha.users['viewer'].pk}/"

    assert manager.patch(url, {"is_active": False}, format="json").status_code == 200
    assert manager.patch(url, {"is_active": True}, format="json").status_code == 200

    assert_ended(alpha, old)


@pytest.mark.django_db
def test_the_sign_out_endpoint_is_in_the_schema(api):
    schema = api("viewer").get("/api/schema/?format=json").json()

    assert "post" in schema["paths"]["/api/v1/auth/sign-out-all/"]


@pytest.mark.live
def test_exactly_one_of_many_concurrent_refreshes_succeeds(asgi_server, committed):
    alpha = committed["alpha"]
    base = f"http://127.0.0.1:{asgi_server.port}"
    headers = {"Host": alpha.domain}
    tokens = httpx.post(
        f"{base}/api/v1/auth/token/",
        json={"username": "planner", "password": PASSWORD},
        headers=headers,
        timeout=10,
    ).json()

    def rotate(_):
        return httpx.post(
            f"{base}/api/v1/auth/token/refresh/",
            json={"refresh": tokens["refresh"]},
            headers=headers,
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(rotate, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 9, [r.text[:200] for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    again = httpx.post(
        f"{base}/api/v1/auth/token/refresh/",
        json={"refresh": winner["refresh"]},
        headers=headers,
        timeout=10,
    )
    assert again.status_code == 200


def open_feed(server, tenant, access):
    return connect(
        server.ws_url(tenant.domain, f"/ws/events/?token={access}"),
        sock=server.socket(),
        proxy=None,
        open_timeout=10,
    )


@pytest.mark.live
@pytest.mark.parametrize("how", ["sign_out_everywhere", "deactivation", "password_change"])
def test_ending_sessions_closes_the_users_open_feeds(asgi_server, committed, how):
    alpha = committed["alpha"]
    base = f"http://127.0.0.1:{asgi_server.port}"
    headers = {"Host": alpha.domain}
    access = httpx.post(
        f"{base}/api/v1/auth/token/",
        json={"username": "viewer", "password": PASSWORD},
        headers=headers,
        timeout=10,
    ).json()["access"]
    colleague = httpx.post(
        f"{base}/api/v1/auth/token/",
        json={"username": "planner", "password": PASSWORD},
        headers=headers,
        timeout=10,
    ).json()["access"]

    with (
        open_feed(asgi_server, alpha, access) as feed,
        open_feed(asgi_server, alpha, colleague) as other,
    ):
        viewer = alpha.users["viewer"]
        try:
            with tenant_context(alpha.tenant):
                # A copy: the session's user object must keep the version it started with.
                viewer = User.objects.get(pk=viewer.pk)
                if how == "sign_out_everywhere":
                    services.user_sessions_end(by=None, user=viewer)
                elif how == "deactivation":
                    services.user_update(by=None, user=viewer, is_active=False)
                else:
                    services.user_update(by=None, user=viewer, password="Another-Long-Pass-77")
            with pytest.raises(ConnectionClosed) as closed:
                feed.recv(timeout=5)
            assert closed.value.rcvd.code == 4401
            other.send('{"type": "ping"}')
            assert other.recv(timeout=5) == '{"type": "pong"}'
        finally:
            with tenant_context(alpha.tenant):
                User.objects.filter(pk=viewer.pk).update(is_active=True)
                user = User.objects.get(pk=viewer.pk)
                user.set_password(PASSWORD)
                user.save()
