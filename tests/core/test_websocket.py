"""The live feed end to end: uvicorn, the real Redis channel layer, a real client."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from core.auth.tokens import TenantAccessToken
from core.events import publish
from tests.live import decode

pytestmark = pytest.mark.live


def token_for(tenant, role="viewer", expired=False):
    with tenant_context(tenant.tenant):
        token = TenantAccessToken.for_user(tenant.users[role])
    if expired:
        token.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=5))
    return str(token)


def open_feed(server, host, token=None):
    query = f"?token={token}" if token is not None else ""
    return connect(
        server.ws_url(host, f"/ws/events/{query}"),
        sock=server.socket(),
        proxy=None,
        open_timeout=10,
    )


def publish_in(tenant, event_type, data):
    with tenant_context(tenant.tenant), transaction.atomic():
        publish(event_type, data)


def drain(feed, wait=1.0):
    received = []
    try:
        while True:
            received.append(decode(feed.recv(timeout=wait)))
    except TimeoutError:
        return received


def test_each_client_receives_its_own_tenants_events_and_never_anothers(asgi_server, committed):
    alpha, beta = committed["alpha"], committed["beta"]
    with (
        open_feed(asgi_server, alpha.domain, token_for(alpha)) as alpha_feed,
        open_feed(asgi_server, beta.domain, token_for(beta)) as beta_feed,
    ):
        publish_in(alpha, "work-order:created", {"id": 1, "title": "alpha pump"})
        publish_in(beta, "work-order:created", {"id": 1, "title": "beta pump"})
        publish_in(beta, "asset:alert", {"id": 5})

        alpha_seen = drain(alpha_feed)
        beta_seen = drain(beta_feed)

    assert alpha_seen == [{"type": "work-order:created", "data": {"id": 1, "title": "alpha pump"}}]
    assert beta_seen == [
        {"type": "work-order:created", "data": {"id": 1, "title": "beta pump"}},
        {"type": "asset:alert", "data": {"id": 5}},
    ]


def test_feed_answers_ping(asgi_server, committed):
    alpha = committed["alpha"]
    with open_feed(asgi_server, alpha.domain, token_for(alpha)) as feed:
        feed.send('{"type": "ping"}')
        assert decode(feed.recv(timeout=5)) == {"type": "pong"}


@pytest.mark.parametrize(
    "case",
    [
        "token_of_other_tenant",
        "expired_token",
        "missing_token",
        "garbage_token",
        "refresh_token",
        "unknown_host",
    ],
)
def test_feed_refuses_bad_credentials(asgi_server, committed, case):
    alpha, beta = committed["alpha"], committed["beta"]
    host, token = alpha.domain, token_for(alpha)
    if case == "token_of_other_tenant":
        token = token_for(beta)  # same user id exists in alpha
    elif case == "expired_token":
        token = token_for(alpha, expired=True)
    elif case == "missing_token":
        token = None
    elif case == "garbage_token":
        token = "not.a.token"
    elif case == "refresh_token":
        from core.auth.tokens import TenantRefreshToken

        with tenant_context(alpha.tenant):
            token = str(TenantRefreshToken.for_user(alpha.users["viewer"]))
    elif case == "unknown_host":
        host = "nobody.localhost"

    with pytest.raises(InvalidStatus) as refused:
        open_feed(asgi_server, host, token)

    assert refused.value.response.status_code == 403


def test_feed_closes_when_its_token_expires(asgi_server, committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        token = TenantAccessToken.for_user(alpha.users["viewer"])
    token.set_exp(lifetime=timedelta(seconds=2))
    with open_feed(asgi_server, alpha.domain, str(token)) as feed:
        publish_in(alpha, "asset:alert", {"id": 1})
        assert drain(feed, wait=0.5) == [{"type": "asset:alert", "data": {"id": 1}}]
        time.sleep(2.2)
        publish_in(alpha, "asset:alert", {"id": 2})
        with pytest.raises(ConnectionClosed) as closed:
            feed.recv(timeout=5)

    assert closed.value.rcvd.code == 4401


def test_an_idle_feed_stays_open_and_still_receives_events(asgi_server, committed):
    """A dashboard sits idle for hours; the channel layer's 5-second Redis wait must not
    end its socket."""
    alpha = committed["alpha"]
    with open_feed(asgi_server, alpha.domain, token_for(alpha)) as feed:
        time.sleep(8)
        publish_in(alpha, "asset:alert", {"id": 7})

        assert drain(feed, wait=3) == [{"type": "asset:alert", "data": {"id": 7}}]
