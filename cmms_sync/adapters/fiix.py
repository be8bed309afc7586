"""Fiix: one RPC endpoint, every request signed with HMAC-SHA256 of its URL.

The signature is the lowercase hex HMAC-SHA256, keyed with the secret key, of
the URL without its scheme (host, path and query exactly as sent), in the
``Authorization`` header. Records are found with ``FindRequest`` paged by
``startIndex``/``maxObjects``; writes are ``AddRequest`` and ``ChangeRequest``.
A PM is a ``ScheduledMaintenance``; its assets (``ScheduledMaintenanceAsset``) and its
time trigger (``ScheduleTrigger``) are other classes, read for each page and added to
the PM's record as ``assets`` and ``recurrence`` {unit, every, start}.
Errors come back as ``{"error": {leg, code, message}}``, whatever the HTTP status.
A work order we create carries our number in ``strCode`` (its code, shown beside the
description), found again with the ql ``strCode = ?``.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

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

# The seeded status and priority ids of a Fiix tenant (not confirmed: keep them mappings).
STATUS = {
    "1": "open",
    "2": "scheduled",
    "3": "in_progress",
    "4": "on_hold",
    "5": "completed",
    "6": "completed",
    "7": "cancelled",
}
PRIORITY = {"1": "critical", "2": "high", "3": "medium", "4": "low"}

DEFAULTS: dict[str, list[Spec]] = {
    Entity.WORK_ORDER: [
        Spec("strDescription", "title", required=True),
        Spec("strCompletionNotes", "notes"),
        Spec("intWorkOrderStatusID", "status", Transform.MAP, STATUS),
        Spec("intPriorityID", "priority", Transform.MAP, PRIORITY),
        Spec("dtmSuggestedCompletionDate", "due_at", Transform.DATE_MS),
        Spec("dtmDateCompleted", "completed_at", Transform.DATE_MS),
        Spec("dtmDateLastModified", "updated_at", Transform.DATE_MS),
    ],
    Entity.ASSET: [
        Spec("strName", "name", required=True),
        Spec("strDescription", "description"),
        Spec("strSerialNumber", "serial_number"),
        Spec("strModel", "model"),
        Spec("dtmDateLastModified", "updated_at", Transform.DATE_MS),
    ],
    Entity.SCHEDULE: [
        Spec("strDescription", "name", required=True),
        Spec("intPriorityID", "priority", Transform.MAP, PRIORITY),
        Spec("recurrence.unit", "frequency", Transform.MAP, RECURRENCE_UNITS, required=True),
        Spec("recurrence.every", "interval", Transform.NUMBER),
        Spec("recurrence.start", "starts_at", Transform.DATE_MS),
        Spec("assets", "assets"),
        Spec("dtmUpdatedDate", "updated_at", Transform.DATE_MS),
    ],
}
CLASSES = {
    Entity.WORK_ORDER: "WorkOrder",
    Entity.ASSET: "Asset",
    Entity.SCHEDULE: "ScheduledMaintenance",
}
# The field a class's last change is in (the ScheduledMaintenance DTO has its own);
# ``modified_field_<entity>`` in the options overrides it.
MODIFIED = {
    Entity.WORK_ORDER: "dtmDateLastModified",
    Entity.ASSET: "dtmDateLastModified",
    Entity.SCHEDULE: "dtmUpdatedDate",
}
# ScheduleTrigger's time schedule type (strTSType) -> the unit and the field holding
# how many of it (not confirmed by Fiix: only the column names are public).
TIME_TRIGGERS = {
    "D": ("day", "intTSDEveryDays"),
    "W": ("week", "intTSWEveryWeeks"),
    "M": ("month", "intTSMEveryMonths"),
    "Y": ("year", "intTSYEveryYears"),
    "H": ("hour", "intTSHEveryHours"),
}
# Ids of PMs per request for their assets and triggers (an ``IN (?, ...)`` each).
CHILD_BATCH = 100
AUTH_WORDS = ("signature", "key", "auth", "credential", "permission")


class FiixAdapter(Adapter):
    entities = frozenset(CLASSES)
    # Fiix documents no ceiling; pages this size keep each answer well under the size limit.
    max_page_size: ClassVar[int] = 500
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS
    marker_fields: ClassVar[dict[str, str]] = {
        Entity.WORK_ORDER: "strCode",
        Entity.SCHEDULE: "strCode",
    }
    pushed: ClassVar[frozenset[str]] = frozenset({Entity.WORK_ORDER, Entity.SCHEDULE})

    def _url(self) -> str:
        query = urlencode(
            {
                "service": "cmms",
                "appKey": self.credentials.get("app_key", ""),
                "accessKey": self.credentials.get("access_key", ""),
                "signatureMethod": "HmacSHA256",
                "signatureVersion": "1",
            }
        )
        return f"{self.api_url}/api/?{query}"

    def _rpc(self, body: dict[str, Any], *, retry_sent: bool = True) -> dict[str, Any]:
        url = self._url()
        parts = urlsplit(url)
        signed = f"{parts.netloc}{parts.path}?{parts.query}"
        signature = hmac.new(
            str(self.credentials.get("secret_key", "")).encode(), signed.encode(), hashlib.sha256
        ).hexdigest()
        reply = self.http.call(
            "POST",
            url,
            content=json.dumps(body).encode(),
            headers={"Authorization": signature, "Content-Type": "text/plain"},
            retry_sent=retry_sent,
        )
        answer = reply.body
        if not isinstance(answer, dict):
            raise RetryableError("Fiix answered something that is not an object.")
        error = answer.get("error")
        if isinstance(error, dict):
            message = str(error.get("message", ""))
            if any(word in message.lower() for word in AUTH_WORDS):
                raise AuthRefused(f"Fiix refused the credentials: {message}")
            raise VendorError(
                f"Fiix refused the request: {message} (code {error.get('code')})", unsent=True
            )
        return answer

    def authenticate(self) -> None:
        self._rpc({"_maCn": "RpcRequest", "name": "Ping"})

    def _modified(self, entity: str) -> str:
        return str(self.options.get(f"modified_field_{entity}") or MODIFIED[entity])

    def _find(
        self, class_name: str, order: str, filters: list[dict[str, Any]]
    ) -> Iterator[list[dict[str, Any]]]:
        start = 0
        while True:
            request: dict[str, Any] = {
                "_maCn": "FindRequest",
                "className": class_name,
                "orderBy": order,
                "startIndex": start,
                "maxObjects": self.page_size,
            }
            if filters:
                request["filters"] = filters
            answer = self._rpc(request)
            objects = answer.get("objects")
            if not isinstance(objects, list):
                raise RetryableError("Fiix's FindResponse has no objects.")
            records = [item for item in objects if isinstance(item, dict)]
            yield records
            start += len(records)
            total = answer.get("totalObjects")
            if not records or (isinstance(total, int) and start >= total):
                return

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        modified = self._modified(entity)
        filters = []
        if since is not None:
            filters = [{"ql": f"{modified} >= ?", "parameters": [to_epoch_ms(since)]}]
        for records in self._find(CLASSES[entity], f"{modified} ASC, id ASC", filters):
            if entity == Entity.SCHEDULE:
                self._add_plan_details(records)
            yield Page(records)

    def _children(self, class_name: str, ids: list[Any]) -> Iterator[dict[str, Any]]:
        for at in range(0, len(ids), CHILD_BATCH):
            batch = ids[at : at + CHILD_BATCH]
            ql = f"intScheduledMaintenanceID IN ({', '.join('?' * len(batch))})"
            for records in self._find(class_name, "id ASC", [{"ql": ql, "parameters": batch}]):
                yield from records

    def _add_plan_details(self, records: list[dict[str, Any]]) -> None:
        """Each PM's assets and its first time trigger, in its record."""
        by_id = {record["id"]: record for record in records if record.get("id") is not None}
        if not by_id:
            return
        for record in by_id.values():
            record["assets"] = []
        for link in self._children("ScheduledMaintenanceAsset", list(by_id)):
            plan = by_id.get(link.get("intScheduledMaintenanceID"))
            if plan is not None and link.get("intAssetID") is not None:
                plan["assets"].append(link["intAssetID"])
        for trigger in self._children("ScheduleTrigger", list(by_id)):
            plan = by_id.get(trigger.get("intScheduledMaintenanceID"))
            kind = TIME_TRIGGERS.get(str(trigger.get("strTSType") or "").upper())
            if plan is None or kind is None or "recurrence" in plan:
                continue
            unit, every = kind
            plan["recurrence"] = {
                "unit": unit,
                "every": trigger.get(every),
                "start": trigger.get("datTRStart"),
            }

    def fetch(self, entity: str, external_id: str) -> dict[str, Any]:
        answer = self._rpc(
            {"_maCn": "FindByIdRequest", "className": CLASSES[entity], "id": int(external_id)}
        )
        return _object(answer)

    def _defaults_for_add(self, entity: str) -> dict[str, Any]:
        if entity != Entity.WORK_ORDER:
            return {"intSiteID": self.options.get("site_id", 1)}
        return {
            "intSiteID": self.options.get("site_id", 1),
            "intMaintenanceTypeID": self.options.get("maintenance_type_id", 1),
            "intWorkOrderStatusID": 1,
            "intPriorityID": 3,
        }

    def create(self, entity: str, fields: dict[str, Any]) -> dict[str, Any]:
        fields, assets, recurrence = _plan_parts(entity, fields)
        if recurrence is not None:
            _trigger(recurrence)  # refused before anything is created
        record = {"className": CLASSES[entity], **self._defaults_for_add(entity), **fields}
        answer = self._rpc(
            {"_maCn": "AddRequest", "className": CLASSES[entity], "object": record},
            retry_sent=False,
        )
        created = _object(answer)
        if entity == Entity.SCHEDULE:
            self._set_plan_details(created, assets, recurrence)
        return created

    def creates_in_steps(self, entity: str) -> bool:
        return entity == Entity.SCHEDULE  # the PM, then its asset links and trigger

    def _add(self, class_name: str, record: dict[str, Any]) -> dict[str, Any]:
        return _object(
            self._rpc(
                {
                    "_maCn": "AddRequest",
                    "className": class_name,
                    "object": {"className": class_name, **record},
                },
                retry_sent=False,
            )
        )

    def _set_plan_details(
        self, plan: dict[str, Any], assets: list[Any] | None, recurrence: dict[str, Any] | None
    ) -> None:
        """Bring a PM's asset links and time trigger to ours (the other classes Fiix keeps
        them in); the plan's record then shows them as a pulled one does."""
        plan_id = plan["id"]
        if assets is not None:
            wanted = [int(asset) for asset in assets]
            links = list(self._children("ScheduledMaintenanceAsset", [plan_id]))
            for link in links:
                if link.get("intAssetID") not in wanted:
                    self._rpc(
                        {
                            "_maCn": "RemoveRequest",
                            "className": "ScheduledMaintenanceAsset",
                            "id": link["id"],
                        }
                    )
            held = {link.get("intAssetID") for link in links}
            for asset in wanted:
                if asset not in held:
                    self._add(
                        "ScheduledMaintenanceAsset",
                        {"intScheduledMaintenanceID": plan_id, "intAssetID": asset},
                    )
            plan["assets"] = wanted
        if recurrence is not None:
            trigger = _trigger(recurrence)
            current = next(iter(self._children("ScheduleTrigger", [plan_id])), None)
            if current is None:
                self._add("ScheduleTrigger", {"intScheduledMaintenanceID": plan_id, **trigger})
            else:
                self._rpc(
                    {
                        "_maCn": "ChangeRequest",
                        "className": "ScheduleTrigger",
                        "changeFields": ",".join(trigger),
                        "object": {"className": "ScheduleTrigger", "id": current["id"], **trigger},
                    }
                )
            plan["recurrence"] = recurrence

    def search_marked(self, entity: str, name: str, marker: str) -> list[dict[str, Any]] | None:
        answer = self._rpc(
            {
                "_maCn": "FindRequest",
                "className": CLASSES[entity],
                "filters": [{"ql": f"{name} = ?", "parameters": [marker]}],
                "startIndex": 0,
                "maxObjects": self.page_size,
            }
        )
        objects = answer.get("objects")
        if not isinstance(objects, list):
            raise RetryableError("Fiix's FindResponse has no objects.")
        return [item for item in objects if isinstance(item, dict)]

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        fields, assets, recurrence = _plan_parts(entity, fields)
        answer = self._rpc(
            {
                "_maCn": "ChangeRequest",
                "className": CLASSES[entity],
                "changeFields": ",".join(fields),
                "object": {"className": CLASSES[entity], "id": int(external_id), **fields},
            }
        )
        changed = _object(answer)
        if entity == Entity.SCHEDULE:
            self._set_plan_details(changed, assets, recurrence)
        return changed

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get(self._modified(entity)))


# Our recurrence units as a Fiix time trigger's type and how many of it.
TRIGGER_UNITS = {
    "day": ("D", 1),
    "week": ("W", 1),
    "month": ("M", 1),
    "quarter": ("M", 3),
    "year": ("Y", 1),
}


def _plan_parts(
    entity: str, fields: dict[str, Any]
) -> tuple[dict[str, Any], list[Any] | None, dict[str, Any] | None]:
    """A PM's own fields, apart from its assets and recurrence (kept in other classes)."""
    if entity != Entity.SCHEDULE:
        return fields, None, None
    own = {k: v for k, v in fields.items() if k not in ("assets", "recurrence")}
    assets = fields.get("assets")
    if assets is not None and not isinstance(assets, list):
        assets = [assets]
    recurrence = fields.get("recurrence")
    return own, assets, recurrence if isinstance(recurrence, dict) else None


def _trigger(recurrence: dict[str, Any]) -> dict[str, Any]:
    unit = str(recurrence.get("unit") or "").lower()
    if unit not in TRIGGER_UNITS:
        raise ValueError(f"recurrence: Fiix has no time trigger by {unit!r}.")
    kind, factor = TRIGGER_UNITS[unit]
    every_field = TIME_TRIGGERS[kind][1]
    trigger: dict[str, Any] = {
        "strType": "T",
        "strTSType": kind,
        every_field: int(recurrence.get("every") or 1) * factor,
    }
    if recurrence.get("start") is not None:
        trigger["datTRStart"] = recurrence["start"]
    return trigger


def _object(answer: dict[str, Any]) -> dict[str, Any]:
    record = answer.get("object")
    if not isinstance(record, dict):
        raise VendorError("Fiix's answer has no object.")
    return record
