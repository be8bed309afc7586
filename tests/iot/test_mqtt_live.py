"""The MQTT bridge for real: the `mqtt_bridge` process against the test database,
readings published through the Mosquitto broker on 127.0.0.1:1883.

Topics carry this run's test tenant schemas (suffixed), and the bridge subscribes
through a shared group of its own, so other runs on the same broker never meet ours.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from iot.mqtt import parse_message
from iot.services.tokens import device_token_create, device_token_revoke
from tests.assets.factories import AssetFactory
from tests.live import LiveProcess, child_environment, wait_until

pytestmark = pytest.mark.live
BROKER = os.environ.get("TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


class BridgeProcess(LiveProcess):
    def __init__(self, url: str = BROKER, **env: str) -> None:
        super().__init__(
            "mqtt-bridge",
            [sys.executable, "manage.py", "mqtt_bridge"],
            child_environment(
                MQTT_URL=url,
                MQTT_SHARED_GROUP=f"test{uuid.uuid4().hex[:8]}",
                LOG_LEVEL="INFO",
                MQTT_BATCH_SECONDS="0.1",
                **env,
            ),
        )
        try:
            self.wait_for("Subscribed to")
        except BaseException:
            self.stop()
            raise

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            if text in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.output()}")

    def count(self, text: str) -> int:
        return self.log_path.read_text(errors="replace").count(text)


@pytest.fixture
def bridge(committed):
    process = BridgeProcess()
    yield process
    process.stop()


def publish(topic: str, payload: dict | list, port: int = 1883) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()


def readings_in(tenant, asset_code: str) -> list[float]:
    with tenant_context(tenant.tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.value FROM iot_reading r JOIN assets_asset a ON a.id = r.device_id "
            "WHERE a.asset_id = %s ORDER BY r.ts",
            [asset_code],
        )
        return [value for (value,) in cursor.fetchall()]


def test_readings_published_by_a_device_land_and_foreign_topics_are_refused(bridge, committed):
    alpha, beta = committed["alpha"], committed["beta"]
    with tenant_context(alpha.tenant):
        AssetFactory(asset_id="PUMP-1")
        AssetFactory(asset_id="PUMP-2")
        _, secret = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-3"))
        revoked_token, revoked = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-4"))
        device_token_revoke(by=None, token=revoked_token)
    with tenant_context(beta.tenant):
        AssetFactory(asset_id="PUMP-3")
    at = timezone.now() - timedelta(minutes=1)

    def reading(value: float, seconds: int = 0) -> dict:
        return {
            "metric": "flow",
            "value": value,
            "timestamp": (at + timedelta(seconds=seconds)).isoformat(),
        }

    # One reading with its token, and a list in an envelope.
    publish(f"cmms/{alpha.schema}/PUMP-3/metrics", {**reading(1.5), "token": secret})
    publish(
        f"cmms/{alpha.schema}/PUMP-3/metrics",
        {"token": secret, "readings": [reading(2.5, 1), reading(3.5, 2)]},
    )
    assert wait_until(lambda: len(readings_in(alpha, "PUMP-3")) == 3), bridge.output()
    assert readings_in(alpha, "PUMP-3") == [1.5, 2.5, 3.5]

    # Alpha's token on beta's topic, on another device's topic, or revoked: refused, counted.
    publish(f"cmms/{beta.schema}/PUMP-3/metrics", {**reading(9.0, 3), "token": secret})
    publish(f"cmms/{alpha.schema}/PUMP-1/metrics", {**reading(9.0, 3), "token": secret})
    publish(f"cmms/{alpha.schema}/PUMP-4/metrics", {**reading(9.0, 3), "token": revoked})
    publish(f"cmms/{alpha.schema}/PUMP-3/metrics", {**reading(9.0, 3)})
    assert wait_until(lambda: bridge.count("mqtt_message_refused") >= 4), bridge.output()
    log = bridge.log_path.read_text()
    assert log.count('"bad_token"') >= 2  # beta does not know alpha's token; revoked
    assert '"other_device"' in log
    assert '"no_token"' in log

    # A token that is not text is refused like a missing one, and the bridge goes on.
    publish(f"cmms/{alpha.schema}/PUMP-3/metrics", [{**reading(8.0, 4), "token": [secret]}])
    publish(f"cmms/{alpha.schema}/PUMP-3/metrics", {**reading(4.5, 5), "token": secret})
    assert wait_until(lambda: len(readings_in(alpha, "PUMP-3")) == 4), bridge.output()
    assert bridge.process.poll() is None
    assert readings_in(beta, "PUMP-3") == []
    assert readings_in(alpha, "PUMP-1") == []
    assert readings_in(alpha, "PUMP-3") == [1.5, 2.5, 3.5, 4.5]


def test_messages_are_read_as_the_api_reads_bodies():
    assert parse_message("cmms/alpha/PUMP-1/metrics", b"[1,") == "not_json"
    assert parse_message("cmms/alpha/PUMP-1/metrics", b'{"metric": "t"}') == "no_token"
    assert parse_message("cmms/Alpha!/PUMP-1/metrics", b"{}") == "bad_topic"
    message = parse_message(
        "cmms/alpha/PUMP-1/metrics", json.dumps([{"token": "iotd_x", "value": 1}]).encode()
    )
    assert message.token == "iotd_x"
    assert message.items == [{"value": 1}]
    for token in ([1], {"a": 1}, 7):
        body = json.dumps([{"token": token, "value": 1}, {"token": token, "value": 2}]).encode()
        assert parse_message("cmms/alpha/PUMP-1/metrics", body) == "no_token"


class Broker:
    """A Mosquitto of this test's own on a free loopback port, so it can be restarted."""

    def __init__(self) -> None:
        from tests.live import free_port

        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _listening(self.port), timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_the_bridge_reconnects_after_the_broker_restarts(committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        _, secret = device_token_create(by=None, asset=AssetFactory(asset_id="PUMP-5"))
    broker = Broker()
    bridge = BridgeProcess(url=f"mqtt://127.0.0.1:{broker.port}")
    try:
        at = timezone.now() - timedelta(minutes=1)
        publish(
            f"cmms/{alpha.schema}/PUMP-5/metrics",
            {"token": secret, "metric": "flow", "value": 1, "timestamp": at.isoformat()},
            port=broker.port,
        )
        assert wait_until(lambda: readings_in(alpha, "PUMP-5") == [1.0]), bridge.output()

        broker.stop()
        broker.start()
        # Paho backs off (from 1 s) and subscribes again once the broker is back.
        assert wait_until(lambda: bridge.count("Subscribed to") >= 2, timeout=40), bridge.output()
        publish(
            f"cmms/{alpha.schema}/PUMP-5/metrics",
            {
                "token": secret,
                "metric": "flow",
                "value": 2,
                "timestamp": (at + timedelta(seconds=1)).isoformat(),
            },
            port=broker.port,
        )
        assert wait_until(lambda: readings_in(alpha, "PUMP-5") == [1.0, 2.0]), bridge.output()
    finally:
        bridge.stop()
        broker.stop()
