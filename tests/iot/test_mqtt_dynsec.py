"""Devices signing in to the broker with their token as password (MQTT_BROKER_AUTH=dynsec).

A Mosquitto of this module's own, on a free loopback port, with the dynamic-security
plugin and anonymous access off; its plugin file is made by ``mosquitto_ctrl dynsec
init`` as an operator would. The bridge is the real ``mqtt_bridge`` process, signed in
as the bridge client that ``mqtt_sync_clients`` makes.
"""

import getpass
import glob
import io
import json
import secrets
import shutil
import subprocess
import tempfile
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from assets.services.registry import asset_delete, asset_update
from iot.broker import Broker
from iot.dynsec import DynsecControl, dynsec_mode_check
from iot.mqtt import parse_message
from iot.services.tokens import device_token_create, device_token_revoke
from iot.tasks import (
    broker_client_create,  # noqa: F401 (registered, as in a worker)
    reconcile_broker_clients,
)
from tests.assets.factories import AssetFactory
from tests.iot.test_mqtt_live import BridgeProcess, _listening, readings_in
from tests.live import free_port, wait_until

pytestmark = pytest.mark.live
PLUGIN_PATHS = (
    "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    *glob.glob("/usr/lib/*/mosquitto_dynamic_security.so"),
)
ADMIN = "cmms-admin"
BRIDGE = "cmms-bridge"


class DynsecBroker:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cmms-dynsec-"))
        self.port = free_port()
        self.admin_password = secrets.token_urlsafe(12)
        self.bridge_password = secrets.token_urlsafe(12)
        plugin = next(path for path in PLUGIN_PATHS if Path(path).exists())
        subprocess.run(
            [
                shutil.which("mosquitto_ctrl") or "/usr/bin/mosquitto_ctrl",
                "dynsec",
                "init",
                str(self.dir / "dynamic-security.json"),
                ADMIN,
                self.admin_password,
            ],
            check=True,
            capture_output=True,
        )
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            "persistence false\n"
            # Started by root, Mosquitto would drop to its own user, which cannot read here.
            f"user {getpass.getuser()}\n"
            f"plugin {plugin}\n"
            f"plugin_opt_config_file {self.dir / 'dynamic-security.json'}\n"
        )
        self.log = (self.dir / "mosquitto.log").open("wb")
        self.process = subprocess.Popen(
            [
                shutil.which("mosquitto") or "/usr/sbin/mosquitto",
                "-c",
                str(self.dir / "mosquitto.conf"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if not wait_until(lambda: _listening(self.port), timeout=10):
            self.stop()
            raise RuntimeError((self.dir / "mosquitto.log").read_text())

    @property
    def bridge_url(self) -> str:
        return f"mqtt://{BRIDGE}:{self.bridge_password}@127.0.0.1:{self.port}"

    def clients(self) -> set[str]:
        admin = Broker("127.0.0.1", self.port, ADMIN, self.admin_password, tls=False)
        with DynsecControl(broker=admin, timeout=5) as control:
            return set(control.run([{"command": "listClients", "count": -1}])[0].data["clients"])

    def control(self, *commands: dict) -> None:
        admin = Broker("127.0.0.1", self.port, ADMIN, self.admin_password, tls=False)
        with DynsecControl(broker=admin, timeout=5) as control:
            answers = control.run(list(commands))
        assert all(answer.error is None for answer in answers), answers

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def broker():
    process = DynsecBroker()
    yield process
    process.stop()


@pytest.fixture
def dynsec(settings, broker, committed, celery_eager):
    """This process in dynsec mode against the broker (tasks run in place), and the bridge
    client made as ``docker compose`` makes it."""
    settings.MQTT_BROKER_AUTH = "dynsec"
    settings.MQTT_URL = broker.bridge_url
    settings.MQTT_ADMIN_USERNAME = ADMIN
    settings.MQTT_ADMIN_PASSWORD = broker.admin_password
    call_command("mqtt_sync_clients", stdout=io.StringIO())
    return broker


class Device:
    """A device's MQTT session: signed in (or refused) at CONNECT."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.answered = threading.Event()
        self.disconnected = threading.Event()
        self.reason: str | None = None
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}"
        )
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *args: self.disconnected.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.answered.wait(10), "the broker never answered CONNECT"

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        self.reason = None if not reason.is_failure else str(reason)
        if reason.is_failure:
            client.disconnect()  # no reconnecting with a refused password
        self.answered.set()

    @property
    def accepted(self) -> bool:
        return self.reason is None

    def publish(self, topic: str, payload: dict) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def reading(value: float, seconds: int = 0) -> dict:
    at = timezone.now() - timedelta(minutes=1) + timedelta(seconds=seconds)
    return {"metric": "flow", "value": value, "timestamp": at.isoformat()}


def test_a_device_signs_in_with_its_token_and_publishes_only_on_its_own_topic(dynsec, committed):
    alpha, beta = committed["alpha"], committed["beta"]
    with tenant_context(alpha.tenant):
        token, secret = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-1"))
        # PUMP-2 and beta's PUMP-1 have tokens too: only the broker's ACL keeps PUMP-1 out.
        device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-2"))
    with tenant_context(beta.tenant):
        device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-1"))
    username = f"{alpha.schema}/PUMP-1/{secret[:11]}"
    assert username in dynsec.clients()
    bridge = BridgeProcess(url=dynsec.bridge_url, MQTT_BROKER_AUTH="dynsec")
    device = Device(dynsec.port, username, secret)
    try:
        # Given a wrong password, or another tenant's name for the same login: refused.
        for login, password in (
            (username, secret[:-1] + ("x" if secret[-1] != "x" else "y")),
            (f"{beta.schema}/PUMP-1/{secret[:11]}", secret),
        ):
            intruder = Device(dynsec.port, login, password)
            intruder.close()
            assert not intruder.accepted
            assert "authori" in intruder.reason.lower() or "password" in intruder.reason.lower()

        # When the signed-in device publishes without a token, its reading lands.
        assert device.accepted, device.reason
        device.publish(f"cmms/{alpha.schema}/PUMP-1/metrics", reading(1.0))
        assert wait_until(lambda: readings_in(alpha, "PUMP-1") == [1.0]), bridge.output()

        # Another device's topic, another tenant's topic: the broker drops them. A token
        # in the payload is still checked. Then a last reading of its own, in order.
        device.publish(f"cmms/{alpha.schema}/PUMP-2/metrics", reading(9.0, 1))
        device.publish(f"cmms/{beta.schema}/PUMP-1/metrics", reading(9.0, 1))
        device.publish(
            f"cmms/{alpha.schema}/PUMP-1/metrics", {**reading(9.0, 1), "token": "iotd_wrong"}
        )
        device.publish(f"cmms/{alpha.schema}/PUMP-1/metrics", reading(2.0, 2))
        assert wait_until(lambda: readings_in(alpha, "PUMP-1") == [1.0, 2.0]), bridge.output()
        assert wait_until(lambda: bridge.count('"bad_token"') == 1), bridge.output()
        assert readings_in(alpha, "PUMP-2") == []
        assert readings_in(beta, "PUMP-1") == []

        # When the token is revoked, its broker client goes: the session is ended and the
        # password opens nothing any more.
        with tenant_context(alpha.tenant):
            device_token_revoke(by=None, token=token)
        assert username not in dynsec.clients()
        assert device.disconnected.wait(10)
        again = Device(dynsec.port, username, secret)
        again.close()
        assert not again.accepted
    finally:
        device.close()
        bridge.stop()


def test_reconciliation_deletes_what_no_token_accounts_for_and_reports_lost_clients(
    dynsec, committed, settings
):
    alpha, beta = committed["alpha"], committed["beta"]
    # Given a token made in payload mode: the broker never heard of it.
    settings.MQTT_BROKER_AUTH = "payload"
    with tenant_context(alpha.tenant):
        _, unknown = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-9"))
    assert not any("PUMP-9" in name for name in dynsec.clients())
    settings.MQTT_BROKER_AUTH = "dynsec"

    with tenant_context(alpha.tenant):
        _, kept = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-1"))
        renamed = AssetFactory(asset_id="PUMP-3")
        _, moved = device_token_create(by=None, asset=renamed)
        # A device given another code loses the login that named the old one.
        asset_update(by=None, asset=renamed, asset_id="PUMP-33")
    with tenant_context(beta.tenant):
        pump = AssetFactory(asset_id="PUMP-1")
        _, deleted_with_device = device_token_create(by=None, asset=pump)
        # A deleted device takes its broker client with it.
        asset_delete(by=None, asset=pump)
    ghost = f"{alpha.schema}/GHOST/iotd_abcdef"
    dynsec.control(
        {"command": "createClient", "username": ghost, "password": "x"},
        {"command": "createClient", "username": "someone-else", "password": "y"},
    )
    clients = dynsec.clients()
    assert f"{alpha.schema}/PUMP-1/{kept[:11]}" in clients
    assert f"{beta.schema}/PUMP-1/{deleted_with_device[:11]}" not in clients
    assert not any(moved[:11] in name for name in clients)

    out = io.StringIO()
    call_command("mqtt_sync_clients", stdout=out)

    # The ghost goes; the kept token, the admin, the bridge and foreign clients stay; the
    # payload-mode token is reported for rotation.
    assert f"deleted {ghost}" in out.getvalue()
    assert f"missing {alpha.schema}/PUMP-9/{unknown[:11]}" in out.getvalue()
    assert f"missing {alpha.schema}/PUMP-33/{moved[:11]}" in out.getvalue()
    assert dynsec.clients() == {
        ADMIN,
        BRIDGE,
        "someone-else",
        f"{alpha.schema}/PUMP-1/{kept[:11]}",
    }
    again = io.StringIO()
    call_command("mqtt_sync_clients", stdout=again)
    assert "1 device clients in step, 0 deleted, 2 missing." in again.getvalue()


def test_unsigned_messages_are_taken_only_when_the_broker_vouches_for_the_device():
    topic, body = "cmms/alpha/PUMP-1/metrics", json.dumps({"metric": "t", "value": 1}).encode()
    assert parse_message(topic, body) == "no_token"
    message = parse_message(topic, body, token_required=False)
    assert message.token is None
    assert message.items == [{"metric": "t", "value": 1}]
    # A token that is there is kept for checking; items signed differently are refused.
    signed = json.dumps([{"token": "iotd_a", "value": 1}, {"value": 2}]).encode()
    assert parse_message(topic, signed, token_required=False) == "no_token"
    empty = json.dumps({"token": "", "value": 1}).encode()
    assert parse_message(topic, empty, token_required=False) == "no_token"


def test_dynsec_mode_is_refused_on_a_broker_that_lets_anyone_in(settings):
    # The plain broker (anonymous access, no plugin) cannot vouch for a tokenless message.
    settings.MQTT_BROKER_AUTH = "dynsec"
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    settings.MQTT_CONTROL_TIMEOUT_SECONDS = 3
    with pytest.raises(CommandError, match="without a login"):
        call_command("mqtt_bridge", stdout=io.StringIO())


def test_dynsec_mode_check_passes_on_a_broker_with_logins_and_the_plugin(dynsec):
    dynsec_mode_check()


def test_the_periodic_job_reconciles_its_own_tenants_clients_only(dynsec, committed, settings):
    alpha, beta = committed["alpha"], committed["beta"]
    with tenant_context(alpha.tenant):
        _, kept = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-1"))
    alpha_ghost = f"{alpha.schema}/GHOST/iotd_abcdef"
    beta_ghost = f"{beta.schema}/GHOST/iotd_abcdef"
    dynsec.control(
        {"command": "createClient", "username": alpha_ghost, "password": "x"},
        {"command": "createClient", "username": beta_ghost, "password": "x"},
    )

    with tenant_context(alpha.tenant):
        report = reconcile_broker_clients(run_key="test")

    assert report == {"kept": 1, "deleted": [alpha_ghost], "missing": []}
    clients = dynsec.clients()
    assert alpha_ghost not in clients
    assert beta_ghost in clients  # another tenant's pass decides about beta's clients
    assert f"{alpha.schema}/PUMP-1/{kept[:11]}" in clients

    settings.MQTT_BROKER_AUTH = "payload"
    with tenant_context(beta.tenant):
        assert reconcile_broker_clients(run_key="test") is None
    assert beta_ghost in dynsec.clients()
