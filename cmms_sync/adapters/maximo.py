"""IBM Maximo JSON API: an ``apikey`` header, ``oslc.where``/``oslc.select`` queries
paged with ``pageno``, members addressed by rest id, updates by ``x-method-override: PATCH``.

``api_url`` ends in the context root (``https://host/maximo``). A work order's
external id is ``SITEID/WONUM``, an asset's ``ASSETNUM/SITEID``, a PM's
``SITEID/PMNUM``; the rest id is their base64 with ``=`` written ``-``. Object
structures are options (``os_work_order``, ``os_asset``, ``os_schedule``): PMs are
read from ``mxapipm`` unless told otherwise.

A work order we create carries our number in ``externalrefid``, Maximo's own field
for a record's id in another system (the integration framework fills it, Maximo's
screens leave it alone), found again with ``oslc.where``. ``SYNC`` on ``wonum`` would
need no search, but would give our numbers to Maximo's numbering and could overwrite
a work order of theirs that happens to hold the same number.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from cmms_sync.adapters.base import (
    Adapter,
    Page,
    RetryableError,
    VendorError,
    b64_restid,
    iso,
    to_datetime,
)
from cmms_sync.choices import Entity, Transform
from cmms_sync.mapping import Spec
from cmms_sync.specs import RECURRENCE_UNITS

STATUS = {
    "WAPPR": "open",
    "APPR": "open",
    "WSCH": "scheduled",
    "WMATL": "on_hold",
    "WPCOND": "on_hold",
    "INPRG": "in_progress",
    "COMP": "completed",
    "CLOSE": "completed",
    "CAN": "cancelled",
}
PRIORITY = {"1": "critical", "2": "high", "3": "medium", "4": "low"}
PM_STATUS = {"ACTIVE": True, "INACTIVE": False, "DRAFT": False}
# A PM names its asset by ASSETNUM within its site: the asset's external id is added to
# the record under this key, so mappings see it as they see any field.
ASSET_KEY = "_assetid"

DEFAULTS: dict[str, list[Spec]] = {
    Entity.WORK_ORDER: [
        Spec("description", "title", required=True),
        Spec("description_longdescription", "description"),
        Spec("status", "status", Transform.MAP, STATUS),
        Spec("wopriority", "priority", Transform.MAP, PRIORITY),
        Spec("targcompdate", "due_at", Transform.DATE_MS),
        Spec("actfinish", "completed_at", Transform.DATE_MS),
        Spec("changedate", "updated_at", Transform.DATE_MS),
    ],
    Entity.ASSET: [
        Spec("description", "name", required=True),
        Spec("serialnum", "serial_number"),
        Spec("changedate", "updated_at", Transform.DATE_MS),
    ],
    Entity.SCHEDULE: [
        Spec("description", "name", required=True),
        Spec("description_longdescription", "description"),
        Spec("frequnit", "frequency", Transform.MAP, RECURRENCE_UNITS, required=True),
        Spec("frequency", "interval", Transform.NUMBER),
        Spec("nextdate", "starts_at", Transform.DATE_MS),
        Spec("status", "active", Transform.MAP, PM_STATUS),
        Spec(ASSET_KEY, "assets"),
        Spec("changedate", "updated_at", Transform.DATE_MS),
    ],
}
OBJECT_STRUCTURES = {
    Entity.WORK_ORDER: "mxapiwodetail",
    Entity.ASSET: "mxapiasset",
    Entity.SCHEDULE: "mxapipm",
}


class MaximoAdapter(Adapter):
    entities = frozenset(OBJECT_STRUCTURES)
    # Maximo pages itself past 1000 rows when asked for no page size: never ask for more.
    max_page_size: ClassVar[int] = 1000
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS
    marker_fields: ClassVar[dict[str, str]] = {Entity.WORK_ORDER: "externalrefid"}

    def _collection(self, entity: str) -> str:
        structure = self.options.get(f"os_{entity}", OBJECT_STRUCTURES[entity])
        return f"{self.api_url}/api/os/{structure}"

    def authenticate(self) -> None:
        self.http.client.headers["apikey"] = str(self.credentials.get("api_key", ""))
        self.http.call("GET", f"{self.api_url}/api/whoami")

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        conditions = []
        if since is not None:
            conditions.append(f'changedate>="{iso(since)}"')
        if self.options.get("site_id"):
            conditions.append(f'siteid="{self.options["site_id"]}"')
        page = 1
        while True:
            params: dict[str, Any] = {
                "lean": 1,
                "oslc.select": "*",
                "oslc.orderBy": "+changedate",
                "oslc.pageSize": self.page_size,
                "pageno": page,
            }
            if conditions:
                params["oslc.where"] = " and ".join(conditions)
            reply = self.http.call("GET", self._collection(entity), params=params)
            body = reply.body
            if not isinstance(body, dict) or not isinstance(body.get("member"), list):
                raise RetryableError("Maximo's collection has no member list.")
            records = [item for item in body["member"] if isinstance(item, dict)]
            if entity == Entity.SCHEDULE:
                for record in records:
                    if record.get("assetnum") and record.get("siteid"):
                        record[ASSET_KEY] = f"{record['assetnum']}/{record['siteid']}"
            yield Page(records)
            info = body.get("responseInfo") or {}
            if not isinstance(info, dict) or not info.get("nextPage"):
                return
            page += 1

    def _member(self, entity: str, external_id: str) -> str:
        return f"{self._collection(entity)}/_{b64_restid(external_id)}"

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        reply = self.http.call(
            "GET", self._member(entity, external_id), params={"lean": 1, "oslc.select": "*"}
        )
        return _record(reply.body)

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = {"siteid": self.options.get("site_id", ""), **fields}
        reply = self.http.call(
            "POST",
            self._collection(entity),
            params={"lean": 1},
            json=record,
            headers={"properties": "*"},
            retry_sent=False,
        )
        return _record(reply.body)

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        if '"' in marker:
            return None  # not expressible as an oslc.where string
        conditions = [f'{name}="{marker}"']
        if self.options.get("site_id"):
            conditions.append(f'siteid="{self.options["site_id"]}"')
        reply = self.http.call(
            "GET",
            self._collection(entity),
            params={
                "lean": 1,
                "oslc.select": "*",
                "oslc.where": " and ".join(conditions),
                "oslc.pageSize": self.page_size,
            },
        )
        body = reply.body
        if not isinstance(body, dict) or not isinstance(body.get("member"), list):
            raise RetryableError("Maximo's collection has no member list.")
        return [item for item in body["member"] if isinstance(item, dict)]

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        reply = self.http.call(
            "POST",
            self._member(entity, external_id),
            params={"lean": 1},
            json=fields,
            headers={"x-method-override": "PATCH", "patchtype": "MERGE", "properties": "*"},
        )
        return _record(reply.body)

    def external_id(self, entity: str, record: dict[str, Any]) -> str:
        site = record.get("siteid")
        if entity == Entity.WORK_ORDER:
            number = record.get("wonum")
            if not site or not number:
                raise ValueError("The work order has no siteid/wonum.")
            return f"{site}/{number}"
        if entity == Entity.SCHEDULE:
            number = record.get("pmnum")
            if not site or not number:
                raise ValueError("The PM has no siteid/pmnum.")
            return f"{site}/{number}"
        number = record.get("assetnum")
        if not site or not number:
            raise ValueError("The asset has no assetnum/siteid.")
        return f"{number}/{site}"

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get("changedate"))


def _record(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise VendorError("Maximo's answer has no resource.")
    return body
