"""The interface every vendor adapter implements, and the errors it raises."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.utils.dateparse import parse_datetime

from cmms_sync.adapters.errors import AuthRefused, RetryableError, VendorError
from cmms_sync.adapters.http import VendorHttp
from cmms_sync.choices import Entity
from cmms_sync.specs import Spec

__all__ = ["AuthRefused", "RetryableError", "VendorError"]


@dataclass
class Page:
    """One page of the vendor's records, as the vendor sent them."""

    records: list[dict[str, Any]] = field(default_factory=list)


def to_datetime(value: Any) -> datetime | None:
    """A vendor's time: epoch milliseconds (number or digits) or an ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value.strip().replace(" ", "T", 1))
        if parsed is None:
            raise ValueError(f"{value!r} is not a date-time")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"{value!r} is not a date-time")


def to_epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def b64_restid(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii").replace("=", "-")


class Adapter:
    """Talks to one vendor for one connection.

    ``list_changed`` yields pages of records changed at or after ``since`` (all
    records when None), through the vendor's own paging; ``fetch``, ``create`` and
    ``update`` work on one record. ``external_id`` and ``updated_at`` read a record.

    A record we create carries our own number in the entity's marker field, so that a
    creation whose answer was lost can be found again (``find_marked``) instead of
    being sent twice. The field is ``marker_field_<entity>`` in the options (for work
    orders also ``marker_field``), else the adapter's default.
    """

    entities: ClassVar[frozenset[str]] = frozenset({Entity.WORK_ORDER})
    # The largest page the vendor serves (used when options name no page_size).
    max_page_size: ClassVar[int] = 100
    # Default field mappings per entity (see ``cmms_sync.mapping``).
    defaults: ClassVar[dict[str, list[Spec]]] = {}
    # The kinds of our records the adapter sends (the others are only read).
    pushed: ClassVar[frozenset[str]] = frozenset({Entity.WORK_ORDER})
    # The vendor field our number travels in, per entity (none: nothing to search by).
    marker_fields: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        *,
        api_url: str,
        credentials: dict[str, Any],
        options: dict[str, Any],
        http: VendorHttp,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.credentials = credentials or {}
        self.options = options or {}
        self.http = http

    @property
    def page_size(self) -> int:
        wanted = self.options.get("page_size")
        if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > 0:
            return min(wanted, self.max_page_size)
        return self.max_page_size

    def supports(self, entity: str) -> bool:
        return entity in self.entities

    def pushes(self, entity: str) -> bool:
        return entity in self.pushed and entity in self.entities

    def creates_in_steps(self, entity: str) -> bool:
        """Whether creating a record takes more than one call (a lost answer may leave it
        half made, to be completed by an update)."""
        return False

    def authenticate(self) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """Sign in and read one record: proves the address and the credentials."""
        self.authenticate()
        saved = self.options
        self.options = {**saved, "page_size": 1}
        try:
            next(iter(self.list_changed(sorted(self.entities)[-1], None)), None)
        finally:
            self.options = saved

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        raise NotImplementedError

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a record; answers the record as the vendor holds it (with its id)."""
        raise NotImplementedError

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def marker_field(self, entity: str) -> str | None:
        named = self.options.get(f"marker_field_{entity}")
        if named is None and entity == Entity.WORK_ORDER:
            named = self.options.get("marker_field")
        if named is None:
            named = self.marker_fields.get(entity)
        return str(named) if named else None

    def marker_for(self, number: str, *, tenant: str) -> str:
        """What our record numbered ``number`` carries at the vendor. Numbers are unique
        within a tenant only, and two tenants (two sites) may push into one vendor account:
        the tenant's schema leads the marker unless the connection sets ``marker_prefix``
        (``""`` for the bare number), so a search never finds another tenant's record."""
        prefix = self.options.get("marker_prefix")
        if prefix is None:
            prefix = f"{tenant}/"
        return f"{prefix}{number}"

    def with_marker(self, entity: str, fields: dict[str, Any], marker: str) -> dict[str, Any]:
        """``fields`` with our number in the marker field (unchanged without one)."""
        name = self.marker_field(entity)
        return {**fields, name: marker} if name else fields

    def marker_of(self, entity: str, record: dict[str, Any]) -> str | None:
        name = self.marker_field(entity)
        value = record.get(name) if name else None
        return None if value is None or value == "" else str(value)

    def find_marked(self, entity: str, marker: str) -> list[dict[str, Any]] | None:
        """The vendor's records carrying ``marker``; None when the vendor cannot be searched.

        Whether a vendor honours a filter is not always confirmed, and an ignored filter
        answers with other records: then the search proves nothing, and says so.
        """
        name = self.marker_field(entity)
        if name is None:
            return None
        records = self.search_marked(entity, name, marker)
        if records is None:
            return None
        if any(self.marker_of(entity, record) != marker for record in records):
            raise VendorError(
                f"The search for {name} = {marker} answered other records too: the vendor "
                "does not filter on that field (name another in the marker_field option)."
            )
        return records

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        """The vendor's answer to "records whose ``name`` is ``marker``" (None: no such query)."""
        return None

    def external_id(self, entity: str, record: dict[str, Any]) -> str:
        value = record.get("id")
        if value is None or value == "":
            raise ValueError("The record has no id.")
        return str(value)

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        raise NotImplementedError

    def close(self) -> None:
        """End the session where the vendor has one."""
