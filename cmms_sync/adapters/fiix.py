"""Fiix: one RPC endpoint, every request signed with HMAC-SHA256 of its URL.

The signature is the lowercase hex HMAC-SHA256, keyed with the secret key, of
the URL without its scheme (host, path and query exactly as sent), in the
``Authorization`` header. Records are found with ``FindRequest`` paged by
``startIndex``/``maxObjects``; writes are ``AddRequest`` and ``ChangeRequest``.
Errors come back as ``{"error": {leg, code, message}}``, whatever the HTTP status.
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
}
CLASSES = {Entity.WORK_ORDER: "WorkOrder", Entity.ASSET: "Asset"}
AUTH_WORDS = ("signature", "key", "auth", "credential", "permission")


class FiixAdapter(Adapter):
    entities = frozenset(CLASSES)
    # Fiix documents no ceiling; pages this size keep each answer well under the size limit.
    max_page_size: ClassVar[int] = 500
    defaults: ClassVar[dict[str, list[Spec]]] = DEFAULTS

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

    def _rpc(self, body: dict[str, Any]) -> dict[str, Any]:
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
        )
        answer = reply.body
        if not isinstance(answer, dict):
            raise RetryableError("Fiix answered something that is not an object.")
        error = answer.get("error")
        if isinstance(error, dict):
            message = str(error.get("message", ""))
            if any(word in message.lower() for word in AUTH_WORDS):
                raise AuthRefused(f"Fiix refused the credentials: {message}")
            raise VendorError(f"Fiix refused the request: {message} (code {error.get('code')})")
        return answer

    def authenticate(self) -> None:
        self._rpc({"_maCn": "RpcRequest", "name": "Ping"})

    def list_changed(self, entity: str, since: datetime | None) -> Iterator[Page]:
        start = 0
        while True:
            request: dict[str, Any] = {
                "_maCn": "FindRequest",
                "className": CLASSES[entity],
                "orderBy": "dtmDateLastModified ASC, id ASC",
                "startIndex": start,
                "maxObjects": self.page_size,
            }
            if since is not None:
                request["filters"] = [
                    {"ql": "dtmDateLastModified >= ?", "parameters": [to_epoch_ms(since)]}
                ]
            answer = self._rpc(request)
            objects = answer.get("objects")
            if not isinstance(objects, list):
                raise RetryableError("Fiix's FindResponse has no objects.")
            records = [item for item in objects if isinstance(item, dict)]
            yield Page(records)
            start += len(records)
            total = answer.get("totalObjects")
            if not records or (isinstance(total, int) and start >= total):
                return

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
        record = {"className": CLASSES[entity], **self._defaults_for_add(entity), **fields}
        answer = self._rpc({"_maCn": "AddRequest", "className": CLASSES[entity], "object": record})
        return _object(answer)

    def update(self, entity: str, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        answer = self._rpc(
            {
                "_maCn": "ChangeRequest",
                "className": CLASSES[entity],
                "changeFields": ",".join(fields),
                "object": {"className": CLASSES[entity], "id": int(external_id), **fields},
            }
        )
        return _object(answer)

    def updated_at(self, entity: str, record: dict[str, Any]) -> datetime | None:
        return to_datetime(record.get("dtmDateLastModified"))


def _object(answer: dict[str, Any]) -> dict[str, Any]:
    record = answer.get("object")
    if not isinstance(record, dict):
        raise VendorError("Fiix's answer has no object.")
    return record
