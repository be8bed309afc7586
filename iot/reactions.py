"""How the IoT app reacts to what the asset register records (see ``core.reactions``)."""

from assets.events import AssetCodeReleased
from core.reactions import reacts_to
from iot.models import DeviceToken
from iot.services.broker_clients import broker_client_delete_on_commit, broker_sync_enabled


@reacts_to(AssetCodeReleased)
def release_broker_clients(event: AssetCodeReleased) -> None:
    """The broker clients of the device's tokens name its old code (login and topic): they
    go once the change commits. A renamed device's tokens stay valid on the API and in the
    payload, but their broker login is lost with the plaintext: rotate them."""
    if not broker_sync_enabled():
        return
    prefixes = DeviceToken.objects.filter(asset=event.asset, revoked_at__isnull=True).values_list(
        "prefix", flat=True
    )
    for prefix in prefixes:
        broker_client_delete_on_commit(device_id=event.asset_id, prefix=prefix)
