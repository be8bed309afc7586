"""Cross-app reactions: the one way an app acts on what happened in another.

Apps depend one way: core <- assets <- inventory <- maintenance <- sla, iot,
cmms_sync. When something recorded by a lower app must cause work in a higher
one (a meter reading counts toward usage-based PM, an alert opens event-based
PM, a stock issue names a work order), the lower app cannot call up. Instead:

- the lower app defines the fact as a frozen dataclass deriving from
  ``DomainEvent`` in its own ``events.py`` (``MeterReadingRecorded``);
- its service, once the fact is written, calls ``dispatch(MeterReadingRecorded(...))``;
- the higher app handles it in its ``reactions.py`` with
  ``@reacts_to(MeterReadingRecorded)``. Every ``reactions.py`` of an installed
  app is loaded when core starts; ``registered_reactions()`` lists them all.

Reactions run synchronously, in the caller's transaction and in the order of
INSTALLED_APPS: a PM work order and the reading that caused it commit (or roll
back) together, and a reaction may refuse the write by raising a service error
(``InvalidInput``, ``Conflict``, ``PermissionDenied``). Slow or remote work belongs
in a Celery task that the reaction schedules with ``transaction.on_commit``.

Core itself dispatches one fact the same way: ``core.events.EventsPublished``,
every time an event is published, which is how the notifications app learns of
each event it may have to deliver (see ``core.events``).

This is not how clients hear about changes: that is ``core.events.publish``,
after commit, to WebSocket clients and Redis. Django signals are not used for
domain logic anywhere, so a reader never has to hunt for hidden receivers.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.module_loading import autodiscover_modules


class DomainEvent:
    """Base of the facts an app dispatches to the apps above it."""


E = TypeVar("E", bound=DomainEvent)
Reaction = Callable[[Any], None]

_reactions: dict[type[DomainEvent], list[Reaction]] = defaultdict(list)


def reacts_to(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Register the decorated function as a reaction to ``event_type``."""

    def register(reaction: Callable[[E], None]) -> Callable[[E], None]:
        if reaction not in _reactions[event_type]:
            _reactions[event_type].append(reaction)
        return reaction

    return register


def dispatch(event: DomainEvent) -> None:
    """Run every reaction to ``event``, now, inside the caller's transaction."""
    for reaction in _reactions.get(type(event), ()):
        reaction(event)


def registered_reactions() -> dict[str, list[str]]:
    """``{event name: [reaction names]}``, in the order they run."""
    return {
        f"{event_type.__module__}.{event_type.__qualname__}": [
            f"{reaction.__module__}.{reaction.__qualname__}" for reaction in reactions
        ]
        for event_type, reactions in _reactions.items()
    }


def load_reactions() -> None:
    """Import ``reactions`` of every installed app (called once, from core's ``ready``)."""
    autodiscover_modules("reactions")
