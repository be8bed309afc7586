"""MaintainX v1: a Bearer key, lists paged by an opaque cursor (newest first).

No list filter but dates is known, so by default a work order whose creation went
unanswered cannot be searched for: the push reports it for a person to settle rather
than sending it again. Options ``marker_field`` and ``lookup_param`` (the query
parameter that filters on it; the field's name when absent) enable the search.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from cmms_sync.adapters.base import (
    Adapter,
    Page,
    RetryableError,
    VendorError,
    iso,
    to_datetime,
)
from cmms_sync.choices import Entity, Transform
from cmms_sync.mapping import Spec

STATUS = {"OPEN": "open", "IN_PROGRESS": "in_progress", "ON_HOLD": "on_hold", "DONE": "completed"}
PRIORITY = {"NONE": "low", "LOW": "low", "MEDIUM": "medium", "HIGH": "high"}

DEFAULTS: dict[str, list[Spec]] = {
    Entity.WORK_ORDER: [
        Spec("title", "title", required=True),
        Spec("description", "description"),
        Spec("status", "status", Transform.MAP, STATUS),
        Spec("priority", "priority", Transform.MAP, PRIORITY),
        Spec("dueDate", "due_at", Transform.DATE_MS),
        Spec("completedAt", "completed_at", Transform.DATE_MS),
        Spec("updatedAt", "updated_at", Transform.DATE_MS),
    ],
    Entity.ASSET: [
        Spec("name", "name", required=True),
        Spec("description", "description"),
        Spec("serialNumber", "serial_number"),
        Spec("model", "model"),
        Spec("updatedAt", "updated_at", Transform.DATE_MS),
    ],
}
# resource path, list key, single key
RESOURCES = {
    Entity.WORK_ORDER: ("workorders", "workOrders", "workOrder"),
    Entity.ASSET: ("assets", "assets", "asset"),
}


class MaintainXAdapter(Adapter):
    entities = frozenset(RESOURCES)
    max_page_size: ClassVar[int] = 200
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS

    @property
    def base(self) -> str:
        return f"{self.api_url}/v1"

    def authenticate(self) -> None:
        self.http.client.headers["Authorization"] = f"Bearer {self.credentials.get('api_key', '')}"
        if self.options.get("organization_id"):
            self.http.client.headers["x-organization-id"] = str(self.options["organization_id"])

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        path, list_key, _ = RESOURCES[entity]
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": self.page_size}
            if since is not None:
                params[self.options.get("since_param", "updatedAtGte")] = iso(since)
            if cursor:
                params["cursor"] = cursor
            reply = self.http.call("GET", f"{self.base}/{path}", params=params)
            body = reply.body
            if not isinstance(body, dict) or not isinstance(body.get(list_key), list):
                raise RetryableError(f"The vendor's list has no {list_key!r}.")
            yield Page([item for item in body[list_key] if isinstance(item, dict)])
            cursor = body.get("nextCursor")
            if not cursor:
                return

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        path, _, single = RESOURCES[entity]
        reply = self.http.call("GET", f"{self.base}/{path}/{external_id}")
        return _one(reply.body, single)

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        path, _, _ = RESOURCES[entity]
        reply = self.http.call("POST", f"{self.base}/{path}", json=fields, retry_sent=False)
        if not isinstance(reply.body, dict) or reply.body.get("id") is None:
            raise VendorError("MaintainX answered the creation without an id.")
        return self.fetch(entity, str(reply.body["id"]))

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        path, list_key, _ = RESOURCES[entity]
        param = str(self.options.get("lookup_param") or name)
        reply = self.http.call(
            "GET", f"{self.base}/{path}", params={param: marker, "limit": self.page_size}
        )
        body = reply.body
        if not isinstance(body, dict) or not isinstance(body.get(list_key), list):
            raise RetryableError(f"The vendor's list has no {list_key!r}.")
        return [item for item in body[list_key] if isinstance(item, dict)]

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        path, _, single = RESOURCES[entity]
        reply = self.http.call("PATCH", f"{self.base}/{path}/{external_id}", json=fields)
        return _one(reply.body, single)

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get("updatedAt"))


def _one(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise VendorError("The vendor's answer has no record.")
    return body[key]
