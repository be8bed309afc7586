"""A REST API described by the connection's options instead of code.

Options (defaults in brackets): ``resources`` {entity: path} [work_order:
work-orders, asset: assets, schedule: pm-schedules], ``results_key`` [results],
``paging`` page | offset | cursor [page], ``page_param`` [page], ``size_param``
[page_size], ``cursor_param`` [cursor], ``next_cursor_key`` [next_cursor],
``since_param`` [updated_since, ISO], ``id_field`` [id], ``updated_field``
[updated_at], ``auth_header`` [Authorization], ``auth_prefix`` ["Bearer "], ``max_page_size`` [500],
``marker_field`` [external_ref: the field our number is sent in] and ``lookup_param``
[the marker field's name: the query parameter that filters on it].
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from cmms_sync.adapters.base import Adapter, Page, RetryableError, VendorError, iso, to_datetime
from cmms_sync.choices import Entity, Transform
from cmms_sync.mapping import Spec
from cmms_sync.specs import RECURRENCE_UNITS

DEFAULTS: dict[str, list[Spec]] = {
    Entity.WORK_ORDER: [
        Spec("title", "title", required=True),
        Spec("description", "description"),
        Spec("status", "status"),
        Spec("priority", "priority"),
        Spec("due_at", "due_at", Transform.DATE_MS),
        Spec("completed_at", "completed_at", Transform.DATE_MS),
        Spec("updated_at", "updated_at", Transform.DATE_MS),
    ],
    Entity.ASSET: [
        Spec("name", "name", required=True),
        Spec("description", "description"),
        Spec("updated_at", "updated_at", Transform.DATE_MS),
    ],
    Entity.SCHEDULE: [
        Spec("name", "name", required=True),
        Spec("description", "description"),
        Spec("priority", "priority"),
        Spec("frequency", "frequency", Transform.MAP, RECURRENCE_UNITS, required=True),
        Spec("interval", "interval", Transform.NUMBER),
        Spec("starts_at", "starts_at", Transform.DATE_MS),
        Spec("asset_ids", "assets"),
        Spec("updated_at", "updated_at", Transform.DATE_MS),
    ],
}
PATHS = {Entity.WORK_ORDER: "work-orders", Entity.ASSET: "assets", Entity.SCHEDULE: "pm-schedules"}


class GenericRestAdapter(Adapter):
    entities = frozenset(PATHS)
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS
    marker_fields: ClassVar[dict[str, str]] = {
        Entity.WORK_ORDER: "external_ref",
        Entity.SCHEDULE: "external_ref",
    }
    pushed: ClassVar[frozenset[str]] = frozenset({Entity.WORK_ORDER, Entity.SCHEDULE})

    def _opt(self, name: str, default: Any) -> Any:
        value = self.options.get(name)
        return default if value in (None, "") else value

    @property
    def page_size(self) -> int:
        ceiling = self._opt("max_page_size", 500)
        wanted = self.options.get("page_size")
        if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > 0:
            return min(wanted, ceiling)
        return ceiling

    def _path(self, entity: str) -> str:
        resources = self._opt("resources", {}) or {}
        return f"{self.api_url}/{str(resources.get(entity, PATHS[entity])).strip('/')}"

    def authenticate(self) -> None:
        header = str(self._opt("auth_header", "Authorization"))
        prefix = str(self.options.get("auth_prefix", "Bearer "))
        self.http.client.headers[header] = f"{prefix}{self.credentials.get('api_key', '')}"

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        paging = self._opt("paging", "page")
        size = self.page_size
        page, offset, cursor = 1, 0, None
        results_key = self._opt("results_key", "results")
        while True:
            params: dict[str, Any] = {self._opt("size_param", "page_size"): size}
            if since is not None:
                params[self._opt("since_param", "updated_since")] = iso(since)
            if paging == "page":
                params[self._opt("page_param", "page")] = page
            elif paging == "offset":
                params[self._opt("offset_param", "offset")] = offset
            elif cursor:
                params[self._opt("cursor_param", "cursor")] = cursor
            reply = self.http.call("GET", self._path(entity), params=params)
            body = reply.body
            items = body.get(results_key) if isinstance(body, dict) else body
            if not isinstance(items, list):
                raise RetryableError(f"The list has no {results_key!r}.")
            records = [item for item in items if isinstance(item, dict)]
            yield Page(records)
            if paging == "cursor":
                cursor = (
                    body.get(self._opt("next_cursor_key", "next_cursor"))
                    if isinstance(body, dict)
                    else None
                )
                if not cursor:
                    return
            elif len(records) < size:
                return
            page += 1
            offset += len(records)

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        return _record(self.http.call("GET", f"{self._path(entity)}/{external_id}").body)

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        return _record(
            self.http.call("POST", self._path(entity), json=fields, retry_sent=False).body
        )

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        param = self._opt("lookup_param", name)
        body = self.http.call("GET", self._path(entity), params={param: marker}).body
        results_key = self._opt("results_key", "results")
        items = body.get(results_key) if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise RetryableError(f"The list has no {results_key!r}.")
        return [item for item in items if isinstance(item, dict)]

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return _record(
            self.http.call("PATCH", f"{self._path(entity)}/{external_id}", json=fields).body
        )

    def external_id(self, entity: str, record: dict[str, Any]) -> str:
        value = record.get(self._opt("id_field", "id"))
        if value is None or value == "":
            raise ValueError("The record has no id.")
        return str(value)

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get(self._opt("updated_field", "updated_at")))


def _record(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise VendorError("The answer holds no record.")
    return body
