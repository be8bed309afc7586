import pytest
from django.test import override_settings

from tests.notifications.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def loopback_allowed():
    # The operator allows the local test servers, as OUTBOUND_ALLOWED_NETWORKS does.
    with override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield
