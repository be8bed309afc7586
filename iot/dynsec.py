"""The broker's dynamic-security plugin, driven over its control topic.

Mosquitto's plugin takes JSON commands published to ``$CONTROL/dynamic-security/v1``
by an admin client and answers on ``.../response``. Every admin client subscribed there
hears every answer, so each batch carries a ``correlationData`` of its own and only the
answer that echoes it is taken.
"""

import json
import threading
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings

from iot.broker import Broker, broker_from_url

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"


class DynsecError(Exception):
    """The broker could not be reached, refused the admin, or did not answer in time."""


@dataclass(frozen=True)
class Answer:
    command: str
    error: str | None
    data: dict[str, Any]


def admin_broker() -> Broker:
    """The broker of MQTT_URL, signed in as MQTT_ADMIN_USERNAME (or MQTT_URL's own login)."""
    broker = broker_from_url(settings.MQTT_URL)
    if settings.MQTT_ADMIN_USERNAME:
        return Broker(
            host=broker.host,
            port=broker.port,
            username=settings.MQTT_ADMIN_USERNAME,
            password=settings.MQTT_ADMIN_PASSWORD or None,
            tls=broker.tls,
        )
    return broker


class DynsecControl:
    """One admin session: ``with DynsecControl() as control: control.run([...])``."""

    def __init__(self, broker: Broker | None = None, timeout: float | None = None) -> None:
        self.broker = broker or admin_broker()
        self.timeout = timeout if timeout is not None else settings.MQTT_CONTROL_TIMEOUT_SECONDS
        self._ready = threading.Event()
        self._answered = threading.Event()
        self._connect_error: str | None = None
        self._waiting_for: str | None = None
        self._answers: list[dict[str, Any]] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"cmms-dynsec-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
        )
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def __enter__(self) -> "DynsecControl":
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        except OSError as exc:
            raise DynsecError(f"broker unreachable: {exc}") from exc
        self.client.loop_start()
        if not self._ready.wait(self.timeout) or self._connect_error:
            self._close()
            raise DynsecError(self._connect_error or "no answer to CONNECT/SUBSCRIBE")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self._connect_error = f"admin refused: {reason}"
            self._ready.set()
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            self._connect_error = "the admin may not read the control topic's answers"
        self._ready.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            return
        if responses and responses[0].get("correlationData") == self._waiting_for:
            self._answers = responses
            self._answered.set()

    def run(self, commands: list[dict[str, Any]]) -> list[Answer]:
        """The plugin's answer to each command, in order (``error`` set when it refused)."""
        correlation = uuid.uuid4().hex
        self._waiting_for, self._answers = correlation, []
        self._answered.clear()
        payload = {
            "commands": [{**command, "correlationData": correlation} for command in commands]
        }
        self.client.publish(CONTROL_TOPIC, json.dumps(payload), qos=1)
        if not self._answered.wait(self.timeout):
            raise DynsecError(
                f"no answer from the dynamic-security plugin to {commands[0]['command']}"
            )
        return [
            Answer(
                command=answer.get("command", ""),
                error=answer.get("error"),
                data=answer.get("data") or {},
            )
            for answer in self._answers
        ]


class BrokerUnreachable(DynsecError):
    """Nothing answered at the broker's address: no evidence either way."""


def anonymous_accepted(broker: Broker, timeout: float) -> bool:
    """Whether the broker lets a client in without a login."""
    answered = threading.Event()
    outcome: dict[str, bool] = {}

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        outcome["accepted"] = not reason.is_failure
        answered.set()

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"cmms-probe-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv5,
    )
    if broker.tls:
        client.tls_set()
    client.on_connect = on_connect
    try:
        client.connect(broker.host, broker.port, keepalive=10)
    except OSError as exc:
        raise BrokerUnreachable(f"broker unreachable: {exc}") from exc
    client.loop_start()
    try:
        if not answered.wait(timeout):
            raise BrokerUnreachable("the broker did not answer a CONNECT")
        return outcome["accepted"]
    finally:
        client.disconnect()
        client.loop_stop()


def dynsec_mode_check() -> None:
    """Refuse dynsec mode on a broker that would not back it: in that mode a message
    without a token is trusted because only the device's own login may publish on its
    topic, which holds only when logins are required and the plugin keeps the ACLs."""
    broker = broker_from_url(settings.MQTT_URL)
    timeout = settings.MQTT_CONTROL_TIMEOUT_SECONDS
    if anonymous_accepted(broker, timeout):
        raise DynsecError(
            f"the broker at {broker.host}:{broker.port} lets clients in without a login, so a "
            "message without a token could come from anyone: turn anonymous access off "
            "(allow_anonymous false, with the dynamic-security plugin) or run with "
            "MQTT_BROKER_AUTH=payload"
        )
    if not settings.MQTT_ADMIN_USERNAME:
        return  # the bridge's own login may not drive the plugin; an admin's may
    with DynsecControl(timeout=timeout) as control:
        (answer,) = control.run([{"command": "getDefaultACLAccess"}])
    if answer.error:
        raise DynsecError(f"the dynamic-security plugin refused the admin: {answer.error}")
