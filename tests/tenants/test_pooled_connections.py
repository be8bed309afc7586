"""The web server's pooled database connections: one connection serves every tenant in
turn, and each request runs in its own tenant's schema whatever the one before left."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from tests.assets.factories import AssetFactory
from tests.conftest import bearer
from tests.live import AsgiServer, wait_until

APPLICATION = "cmms-pool-test"


@pytest.fixture
def one_connection_server(committed):
    # A pool of exactly one connection: every request below goes through the same one.
    server = AsgiServer(
        database_options=f"application_name={APPLICATION}",
        DATABASE_POOL_MIN="1",
        DATABASE_POOL_MAX="1",
    )
    yield server
    server.stop()


def _backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION]
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_one_pooled_connection_serves_each_tenant_in_its_own_schema(
    one_connection_server, committed
):
    alpha, beta = committed["alpha"], committed["beta"]
    for tenant, code in ((alpha, "ALPHA-ONLY"), (beta, "BETA-ONLY")):
        with tenant_context(tenant.tenant):
            AssetFactory(asset_id=code)
    base = f"http://127.0.0.1:{one_connection_server.port}"

    def assets_seen(tenant) -> list[str]:
        response = httpx.get(
            f"{base}/api/v1/assets/",
            headers={
                "Host": tenant.domain,
                "Authorization": f"Bearer {bearer(tenant, tenant.users['manager'])}",
            },
        )
        assert response.status_code == 200, response.text
        return [row["asset_id"] for row in response.json()["results"]]

    def refused_write(tenant) -> None:
        # A refused write rolls its transaction back, and PostgreSQL undoes the
        # `SET search_path` issued in it: the next request must not trust it.
        response = httpx.post(
            f"{base}/api/v1/assets/",
            json={"asset_id": "", "name": ""},
            headers={
                "Host": tenant.domain,
                "Authorization": f"Bearer {bearer(tenant, tenant.users['manager'])}",
            },
        )
        assert response.status_code == 400, response.text

    for turn in range(3):
        assert assets_seen(alpha) == ["ALPHA-ONLY"]
        refused_write(alpha)
        assert assets_seen(beta) == ["BETA-ONLY"]
        if turn == 1:
            # The platform's own host, in the public schema, between two tenants' requests.
            health = httpx.get(f"{base}/health", headers={"Host": "localhost"}).json()
            assert health["checks"]["database"]["status"] == "ok"
        assert assets_seen(alpha) == ["ALPHA-ONLY"]
        refused_write(beta)
        assert assets_seen(beta) == ["BETA-ONLY"]

    assert len(_backends()) == 1


def test_a_request_that_cannot_get_a_connection_in_time_is_a_503(committed):
    """With the process's one connection held by a request stuck behind a lock, the next
    request waits DATABASE_POOL_TIMEOUT for it, then answers 503 with Retry-After."""
    alpha = committed["alpha"]
    server = AsgiServer(DATABASE_POOL_MIN="1", DATABASE_POOL_MAX="1", DATABASE_POOL_TIMEOUT="1")
    base = f"http://127.0.0.1:{server.port}"
    headers = {
        "Host": alpha.domain,
        "Authorization": f"Bearer {bearer(alpha, alpha.users['manager'])}",
    }
    try:
        with ThreadPoolExecutor(1) as pool:
            with transaction.atomic(), connection.cursor() as cursor:
                # Every request looks its tenant up by host: this holds them all.
                cursor.execute("LOCK TABLE public.tenants_domain IN ACCESS EXCLUSIVE MODE")
                stuck = pool.submit(
                    httpx.get, f"{base}/api/v1/assets/", headers=headers, timeout=30
                )
                assert wait_until(_waiting_on_lock, timeout=10), (
                    "the request never reached the lock"
                )

                busy = httpx.get(f"{base}/api/v1/assets/", headers=headers, timeout=30)

                assert busy.status_code == 503
                assert busy.json() == {"detail": "The service is busy; try again shortly."}
                assert busy.headers["Retry-After"] == "1"
            # The lock is gone with the transaction: the stuck request ends normally.
            assert stuck.result(timeout=30).status_code == 200
        assert httpx.get(f"{base}/api/v1/assets/", headers=headers).status_code == 200
    finally:
        server.stop()


def _waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0
