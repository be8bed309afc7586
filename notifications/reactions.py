"""How notifications hear of every event published in a tenant (see ``core.events``)."""

from core.events import EventsPublished
from core.reactions import reacts_to
from notifications.services.deliveries import deliveries_queue_for_events


@reacts_to(EventsPublished)
def deliver_to_channels(event: EventsPublished) -> None:
    """Record a delivery per subscribed channel, in the publishing write's transaction."""
    deliveries_queue_for_events(event.events)
