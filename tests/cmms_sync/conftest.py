from collections.abc import Iterator
from typing import Any

import pytest

from cmms_sync.models import Connection, SyncRun
from cmms_sync.services.connections import connection_create
from cmms_sync.services.runs import run_execute, run_request
from tests.cmms_sync.fake_vendors import (
    FakeFiix,
    FakeGenericRest,
    FakeMaintainX,
    FakeMaximo,
    FakeUpKeep,
    FakeVendor,
)

# cmms_type -> (fake, credentials, options)
VENDORS: dict[str, tuple[type[FakeVendor], dict[str, str], dict[str, Any]]] = {
    "upkeep": (FakeUpKeep, {"email": FakeUpKeep.email, "password": FakeUpKeep.password}, {}),
    "fiix": (
        FakeFiix,
        {
            "app_key": FakeFiix.app_key,
            "access_key": FakeFiix.access_key,
            "secret_key": FakeFiix.secret_key,
        },
        {},
    ),
    "maximo": (FakeMaximo, {"api_key": FakeMaximo.api_key}, {"site_id": FakeMaximo.site}),
    "maintainx": (FakeMaintainX, {"api_key": FakeMaintainX.api_key}, {}),
    "generic_rest": (FakeGenericRest, {"api_key": FakeGenericRest.api_key}, {}),
}


@pytest.fixture(autouse=True)
def _local_vendors(settings) -> None:
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def api_url(cmms_type: str, fake: FakeVendor) -> str:
    # Maximo's api_url ends in its context root; the others are the host root.
    return f"{fake.url}/maximo" if cmms_type == "maximo" else fake.url


@pytest.fixture(params=sorted(VENDORS))
def vendor(request) -> Iterator[tuple[str, FakeVendor]]:
    fake_class = VENDORS[request.param][0]
    with fake_class() as fake:
        yield request.param, fake


def make_connection(
    cmms_type: str, fake: FakeVendor, *, page_size: int = 3, direction: str = "both", **extra: Any
) -> Connection:
    _, credentials, options = VENDORS[cmms_type]
    return connection_create(
        by=None,
        cmms_type=cmms_type,
        api_url=api_url(cmms_type, fake),
        connection_name=f"{cmms_type} plant",
        credentials=credentials,
        options={**options, "page_size": page_size},
        direction=direction,
        **extra,
    )


def sync(connection: Connection, direction: str = "pull", force: bool = False) -> SyncRun:
    """Ask for a run and carry it out here (what the worker does with the task)."""
    run = run_request(
        by=None, connection=connection, entity="work_orders", direction=direction, force_sync=force
    )
    run_execute(run.pk)
    run.refresh_from_db()
    connection.refresh_from_db()
    return run
