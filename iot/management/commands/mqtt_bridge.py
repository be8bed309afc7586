"""Run the MQTT bridge: device readings from the broker into every tenant (see iot.mqtt)."""

import signal
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from iot.dynsec import BrokerUnreachable, DynsecError, dynsec_mode_check
from iot.mqtt import Bridge

logger = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Subscribe to cmms/+/+/metrics and ingest the readings devices publish."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.MQTT_URL, help="Broker (MQTT_URL).")
        parser.add_argument(
            "--group", default=settings.MQTT_SHARED_GROUP, help="Shared subscription group."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MQTT_BROKER_AUTH == "dynsec":
            try:
                dynsec_mode_check()
            except BrokerUnreachable as exc:
                # A broker that is down now is the reconnect loop's business, not a reason
                # to stop: the check runs again at the next start.
                logger.warning("mqtt_dynsec_check_skipped", reason=str(exc))
            except DynsecError as exc:
                raise CommandError(f"MQTT_BROKER_AUTH is dynsec, but {exc}.") from exc

        def _subscribed(topic: str) -> None:
            self.stdout.write(f"Subscribed to {topic}")
            self.stdout.flush()

        bridge = Bridge(
            options["url"],
            group=options["group"],
            batch_seconds=settings.MQTT_BATCH_SECONDS,
            on_subscribed=_subscribed,
            broker_auth=settings.MQTT_BROKER_AUTH,
        )

        def _stop(signum: int, frame: Any) -> None:
            bridge.stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(
            f"MQTT bridge on {bridge.broker.host}:{bridge.broker.port} ({bridge.subscription}, "
            f"devices signed by {settings.MQTT_BROKER_AUTH})"
        )
        bridge.run()
