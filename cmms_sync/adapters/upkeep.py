"""UpKeep API v2: a session token from ``POST /auth``, lists paged by limit/offset,
changed-since filters in epoch milliseconds."""

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from cmms_sync.adapters.base import (
    Adapter,
    AuthRefused,
    Page,
    RetryableError,
    VendorError,
    to_datetime,
    to_epoch_ms,
)
from cmms_sync.choices import Entity, Transform
from cmms_sync.mapping import Spec
from cmms_sync.specs import RECURRENCE_UNITS

STATUS = {"open": "open", "onHold": "on_hold", "inProgress": "in_progress", "complete": "completed"}
PRIORITY = {"0": "low", "1": "medium", "2": "high", "3": "critical"}

DEFAULTS: dict[str, list[Spec]] = {
    Entity.WORK_ORDER: [
        Spec("title", "title", required=True),
        Spec("description", "description"),
        Spec("status", "status", Transform.MAP, STATUS),
        Spec("priority", "priority", Transform.MAP, PRIORITY),
        Spec("dueDate", "due_at", Transform.DATE_MS),
        Spec("dateCompleted", "completed_at", Transform.DATE_MS),
        Spec("updatedAt", "updated_at", Transform.DATE_MS),
    ],
    Entity.ASSET: [
        Spec("name", "name", required=True),
        Spec("serial", "serial_number"),
        Spec("model", "model"),
        Spec("description", "description"),
        Spec("updatedAt", "updated_at", Transform.DATE_MS),
    ],
    # The PM field names are not confirmed by UpKeep: keep them mappings.
    Entity.SCHEDULE: [
        Spec("title", "name", required=True),
        Spec("description", "description"),
        Spec("priority", "priority", Transform.MAP, PRIORITY),
        Spec("repeatFrequency", "frequency", Transform.MAP, RECURRENCE_UNITS, required=True),
        Spec("repeatEvery", "interval", Transform.NUMBER),
        Spec("startDate", "starts_at", Transform.DATE_MS),
        Spec("asset", "assets"),
        Spec("updatedAt", "updated_at", Transform.DATE_MS),
    ],
}
RESOURCES = {
    Entity.WORK_ORDER: "work-orders",
    Entity.ASSET: "assets",
    Entity.SCHEDULE: "preventative-maintenance",
}


class UpKeepAdapter(Adapter):
    entities = frozenset(RESOURCES)
    # Not confirmed by UpKeep: 1000 is the largest limit known to work.
    max_page_size: ClassVar[int] = 1000
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS
    # Any record field is an equality filter; the work order's number field carries ours
    # (its name is not confirmed by UpKeep: the marker_field option names another).
    marker_fields: ClassVar[dict[str, str]] = {Entity.WORK_ORDER: "workOrderNo"}
    pushed: ClassVar[frozenset[str]] = frozenset({Entity.WORK_ORDER, Entity.SCHEDULE})

    @property
    def base(self) -> str:
        return f"{self.api_url}/api/v2"

    def authenticate(self) -> None:
        reply = self.http.call(
            "POST",
            f"{self.base}/auth",
            json={
                "email": self.credentials.get("email", ""),
                "password": self.credentials.get("password", ""),
            },
        )
        token = (
            (reply.body or {}).get("result", {}).get("sessionToken")
            if isinstance(reply.body, dict)
            else None
        )
        if not token:
            raise AuthRefused("UpKeep gave no session token.")
        self.http.client.headers["Session-Token"] = str(token)
        self.http.client.headers["upkeep-version"] = str(
            self.options.get("upkeep_version", "2022-09-14")
        )

    def close(self) -> None:
        if "Session-Token" in self.http.client.headers:
            # A session left open expires on its own.
            with contextlib.suppress(VendorError):
                self.http.call("DELETE", f"{self.base}/auth", expect_json=False)

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        offset = 0
        while True:
            params: dict[str, Any] = {
                "limit": self.page_size,
                "offset": offset,
                "orderBy": "updatedAt ASC",
            }
            if since is not None:
                params["updatedAtGreaterThanOrEqualTo"] = to_epoch_ms(since)
            reply = self.http.call("GET", f"{self.base}/{RESOURCES[entity]}", params=params)
            results = _list(reply.body, "results")
            yield Page(results)
            if len(results) < self.page_size:
                return
            offset += len(results)

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        reply = self.http.call("GET", f"{self.base}/{RESOURCES[entity]}/{external_id}")
        return _one(reply.body)

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        reply = self.http.call(
            "POST", f"{self.base}/{RESOURCES[entity]}", json=_shaped(fields), retry_sent=False
        )
        return _one(reply.body)

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        reply = self.http.call(
            "GET",
            f"{self.base}/{RESOURCES[entity]}",
            params={name: marker, "limit": self.page_size, "offset": 0},
        )
        return _list(reply.body, "results")

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        reply = self.http.call(
            "PATCH", f"{self.base}/{RESOURCES[entity]}/{external_id}", json=_shaped(fields)
        )
        return _one(reply.body)

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get("updatedAt"))


def _shaped(fields: dict[str, Any]) -> dict[str, Any]:
    """A PM names its asset by one id (as pulled); a list is sent only for several."""
    asset = fields.get("asset")
    if isinstance(asset, list) and len(asset) == 1:
        return {**fields, "asset": asset[0]}
    return fields


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise RetryableError(f"The vendor's list has no {key!r}.")
    return [item for item in body[key] if isinstance(item, dict)]


def _one(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        raise VendorError("The vendor's answer has no record.")
    return body["result"]
