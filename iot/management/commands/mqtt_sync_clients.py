"""Bring the broker's device clients in step with every tenant's device tokens (dynsec mode)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from iot.dynsec import DynsecError
from iot.selectors import device_client_usernames
from iot.services.broker_clients import broker_bridge_client_ensure, broker_clients_reconcile
from tenants.models import Tenant


def _all_tenants_usernames() -> set[str]:
    usernames: set[str] = set()
    for tenant in Tenant.objects.filter(ready=True).exclude(schema_name=get_public_schema_name()):
        with tenant_context(tenant):
            usernames |= device_client_usernames()
    return usernames


class Command(BaseCommand):
    help = (
        "Make sure the bridge's broker client exists, delete the broker clients of revoked "
        "tokens and deleted devices, and list active tokens the broker has no client for."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MQTT_BROKER_AUTH != "dynsec":
            self.stdout.write("MQTT_BROKER_AUTH is not dynsec: the broker keeps no device clients.")
            return
        try:
            bridge = broker_bridge_client_ensure()
            report = broker_clients_reconcile(expected=_all_tenants_usernames)
        except DynsecError as exc:
            raise CommandError(f"The broker's dynamic-security plugin: {exc}") from exc
        if bridge:
            self.stdout.write(f"Bridge client {bridge} ready.")
        self.stdout.write(
            f"{report.kept} device clients in step, {len(report.deleted)} deleted, "
            f"{len(report.missing)} missing."
        )
        for username in report.deleted:
            self.stdout.write(f"deleted {username}")
        for username in report.missing:
            # The plaintext is only known when a token is made: a new token is the cure.
            self.stdout.write(f"missing {username} (rotate this device's token)")
