"""Small threaded HTTP servers that behave as VENDORS.md describes each vendor's API.

Each keeps its work orders (and, apart, its PM plans) in memory in the vendor's own
field names, checks the vendor's authentication, pages the vendor's way, and can be told to misbehave on a
given page of a list (``fail_page``): 500, 429 with Retry-After, a stall past the
client's timeout, a body that is not JSON, or a dropped connection. ``lose_create_answers``
makes the next creations happen and then drops the connection instead of answering: the
vendor holds the record, the client never hears its id.
"""

import base64
import hashlib
import hmac
import http.server
import itertools
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit


def now_ms() -> int:
    return int(time.time() * 1000)


def ms_iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def parse_moment(value: str) -> int:
    if value.strip().lstrip("-").isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class Drop(Exception):
    """Close the connection without an answer."""


@dataclass
class Fault:
    page: int
    kind: str  # 500 | 429 | timeout | malformed | drop
    times: int | None  # None: every time


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    raw: bytes | None = None


class FakeVendor:
    """The server, the store and the fault switchboard; subclasses speak the vendor."""

    stall_seconds = 3.0
    # Seconds a list page takes to come back (0 here; benchmarks may model a remote vendor).
    page_latency = 0.0

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.records: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []
        self._clock = 0
        self.plans: dict[int, dict[str, Any]] = {}
        self._plan_ids = itertools.count(501)
        self._lost_answers = 0
        vendor = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with vendor.lock:
                    vendor.log.append((self.command, self.path))
                try:
                    answer = vendor.handle(
                        self.command, parts.path, query, self.headers, body, self
                    )
                except Drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                raw = answer.raw
                if raw is None:
                    raw = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in (answer.headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> "FakeVendor":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # --- store -------------------------------------------------------------------
    def tick(self) -> int:
        """Now in epoch ms, strictly after every earlier write."""
        with self.lock:
            self._clock = max(now_ms(), self._clock + 1)
            return self._clock

    def fail_page(self, page: int, kind: str, times: int | None = 1) -> None:
        self.faults.append(Fault(page, kind, times))

    def lose_create_answers(self, times: int = 1) -> None:
        self._lost_answers = times

    def created(self, answer: Answer) -> Answer:
        """The answer to a creation already made, unless it is to be lost."""
        with self.lock:
            if self._lost_answers > 0:
                self._lost_answers -= 1
                raise Drop()
        return answer

    @staticmethod
    def equal_to(rows: list[dict[str, Any]], wanted: dict[str, str]) -> list[dict[str, Any]]:
        """The rendered rows whose fields equal every one of ``wanted`` (as text)."""
        return [r for r in rows if all(str(r.get(k)) == v for k, v in wanted.items())]

    def _fault(self, page: int) -> Answer | None:
        with self.lock:
            for fault in self.faults:
                if fault.page == page and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    kind = fault.kind
                    break
            else:
                return None
        if kind == "500":
            return Answer(500, {"message": "internal error"})
        if kind == "429":
            return Answer(429, {"message": "slow down"}, headers={"Retry-After": "1"})
        if kind == "malformed":
            return Answer(200, raw=b'{"results": [ {"id": 1, ')
        if kind == "timeout":
            time.sleep(self.stall_seconds)
            return Answer(504, {"message": "late"})
        raise Drop()

    def seed(self, count: int, **overrides: Any) -> list[int]:
        return [self.add(self.sample(n), **overrides)["__id"] for n in range(count)]

    def add(self, fields: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        with self.lock:
            ident = next(self.ids)
            record = {**fields, **overrides, "__id": ident, "__updated": self.tick()}
            self.records[ident] = record
            return record

    def change(self, ident: int, **fields: Any) -> None:
        with self.lock:
            self.records[ident].update(fields, __updated=self.tick())

    def changed_since(self, since_ms: int | None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                r for r in self.records.values() if since_ms is None or r["__updated"] >= since_ms
            ]
        return sorted(rows, key=lambda r: (r["__updated"], r["__id"]))

    def sample(self, n: int) -> dict[str, Any]:
        raise NotImplementedError

    # --- PM plans ------------------------------------------------------------------
    # The field a plan's name is in, in this vendor's records.
    plan_name_field = "title"

    def add_plan(self, fields: dict[str, Any], **overrides: Any) -> int:
        with self.lock:
            ident = next(self._plan_ids)
            self.plans[ident] = {**fields, **overrides, "__id": ident, "__updated": self.tick()}
            return ident

    def change_plan(self, ident: int, **fields: Any) -> None:
        with self.lock:
            self.plans[ident].update(fields, __updated=self.tick())

    def plans_since(self, since_ms: int | None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                r for r in self.plans.values() if since_ms is None or r["__updated"] >= since_ms
            ]
        return sorted(rows, key=lambda r: (r["__updated"], r["__id"]))

    def asset_key(self, n: int) -> tuple[Any, str]:
        """An asset as a plan of this vendor names it, and its external id in our sync."""
        return 900 + n, str(900 + n)

    def sample_plan(self, n: int, asset: Any) -> dict[str, Any]:
        raise NotImplementedError

    def handle(self, method, path, query, headers, body, request) -> Answer:
        raise NotImplementedError


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


# --- UpKeep v2 ----------------------------------------------------------------------
class FakeUpKeep(FakeVendor):
    email, password = "ops@example.com", "upkeep-pass"
    max_limit = 1000
    STATUSES = ("open", "onHold", "inProgress", "complete")

    def __init__(self) -> None:
        super().__init__()
        self.sessions: set[str] = set()
        self.assets: dict[int, dict[str, Any]] = {}

    def add_asset(self, **fields: Any) -> int:
        with self.lock:
            ident = 900 + len(self.assets)
            self.assets[ident] = {**fields, "__id": ident, "__updated": self.tick()}
            return ident

    def sample(self, n: int) -> dict[str, Any]:
        return {
            "title": f"UpKeep job {n}",
            "description": "from UpKeep",
            "status": "open",
            "priority": n % 4,
        }

    def asset_key(self, n: int) -> tuple[Any, str]:
        return f"ast{n}", f"ast{n}"

    def sample_plan(self, n: int, asset: Any) -> dict[str, Any]:
        return {
            "title": f"UpKeep PM {n}",
            "description": "Grease and inspect",
            "priority": n % 4,
            "repeatFrequency": "month",
            "repeatEvery": 1 + n % 3,
            "startDate": "2026-01-05T08:00:00.000Z",
            "asset": asset,
        }

    def render(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        return {
            **out,
            "id": str(r["__id"]),
            "updatedAt": ms_iso(r["__updated"]),
            "createdAt": ms_iso(r.get("__created", r["__updated"])),
        }

    def handle(self, method, path, query, headers, body, request) -> Answer:
        if not path.startswith("/api/v2/"):
            return Answer(404, {"success": False, "message": "not found"})
        rest = path.removeprefix("/api/v2/").strip("/")
        if rest == "auth":
            if method == "DELETE":
                self.sessions.discard(headers.get("Session-Token", ""))
                return Answer(200, {"success": True, "message": "session deleted"})
            data = _json(body)
            if data is None:
                data = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if data.get("email") != self.email or data.get("password") != self.password:
                return Answer(401, {"success": False, "message": "Invalid credentials"})
            token = "r:" + base64.b16encode(str(time.time()).encode()).decode()
            self.sessions.add(token)
            return Answer(
                200,
                {
                    "success": True,
                    "result": {"sessionToken": token, "expiresAt": ms_iso(now_ms() + 86400000)},
                },
            )
        if headers.get("Session-Token") not in self.sessions:
            return Answer(401, {"success": False, "message": "Unauthorized"})
        if rest == "assets" and method == "GET":
            limit = min(int(query.get("limit", 100)), self.max_limit)
            offset = int(query.get("offset", 0))
            since = int(query.get("updatedAtGreaterThanOrEqualTo") or 0)
            rows = sorted(
                (r for r in self.assets.values() if r["__updated"] >= since),
                key=lambda r: (r["__updated"], r["__id"]),
            )
            page = [self.render(r) for r in rows[offset : offset + limit]]
            return Answer(200, {"success": True, "results": page})
        if rest == "preventative-maintenance" and method == "GET":
            limit = min(int(query.get("limit", 100)), self.max_limit)
            offset = int(query.get("offset", 0))
            since = query.get("updatedAtGreaterThanOrEqualTo")
            rows = [self.render(r) for r in self.plans_since(int(since) if since else None)]
            fields = {
                k: v
                for k, v in query.items()
                if k not in ("limit", "offset", "orderBy")
                and not k.startswith(("updatedAt", "createdAt"))
            }
            rows = self.equal_to(rows, fields)
            return Answer(200, {"success": True, "results": rows[offset : offset + limit]})
        if rest == "preventative-maintenance" and method == "POST":
            data = _json(body) or {}
            if not data.get("title"):
                return Answer(400, {"success": False, "message": "title is required"})
            plan = self.plans[self.add_plan(data)]
            return self.created(Answer(200, {"success": True, "result": self.render(plan)}))
        if rest.startswith("preventative-maintenance/") and method in ("GET", "PATCH"):
            key = rest.split("/")[1]
            plan = self.plans.get(int(key)) if key.isdigit() else None
            if plan is None:
                return Answer(404, {"success": False, "message": "not found"})
            if method == "PATCH":
                self.change_plan(plan["__id"], **(_json(body) or {}))
            return Answer(200, {"success": True, "result": self.render(plan)})
        if rest == "work-orders" and method == "GET":
            if self.page_latency:
                time.sleep(self.page_latency)  # a vendor across the internet, for benchmarks
            limit = min(int(query.get("limit", 100)), self.max_limit)
            offset = int(query.get("offset", 0))
            fault = self._fault(offset // max(limit, 1))
            if fault:
                return fault
            since = query.get("updatedAtGreaterThanOrEqualTo")
            rows = [self.render(r) for r in self.changed_since(int(since) if since else None)]
            # A parameter named after a record field is an equality filter.
            fields = {
                k: v
                for k, v in query.items()
                if k not in ("limit", "offset", "orderBy")
                and not k.startswith(("updatedAt", "createdAt"))
            }
            rows = self.equal_to(rows, fields)
            return Answer(200, {"success": True, "results": rows[offset : offset + limit]})
        if rest == "work-orders" and method == "POST":
            data = _json(body) or {}
            if not data.get("title"):
                return Answer(400, {"success": False, "message": "title is required"})
            fields = {"status": "open", "priority": 0, **data}
            if isinstance(fields.get("dueDate"), int):
                fields["dueDate"] = ms_iso(fields["dueDate"])
            return self.created(
                Answer(200, {"success": True, "result": self.render(self.add(fields))})
            )
        if rest.startswith("work-orders/"):
            ident = int(rest.split("/")[1]) if rest.split("/")[1].isdigit() else 0
            if ident not in self.records:
                return Answer(404, {"success": False, "message": "not found"})
            if method == "PATCH":
                data = _json(body) or {}
                if data.get("status") == "complete":
                    data["dateCompleted"] = ms_iso(now_ms())
                if isinstance(data.get("dueDate"), int):
                    data["dueDate"] = ms_iso(data["dueDate"])
                self.change(ident, **data)
            return Answer(200, {"success": True, "result": self.render(self.records[ident])})
        return Answer(404, {"success": False, "message": "not found"})


# --- Fiix -----------------------------------------------------------------------------
class FakeFiix(FakeVendor):
    app_key, access_key, secret_key = "app-1", "acc-1", "secret-1"
    plan_name_field = "strDescription"
    # A plan's assets and time trigger are stored in it (``__assets``, ``__trigger``) and
    # served as the ScheduledMaintenanceAsset and ScheduleTrigger classes.
    UNITS = {"day": "D", "week": "W", "month": "M", "year": "Y", "hour": "H"}

    def sample_plan(self, n: int, asset: Any) -> dict[str, Any]:
        return {
            "strDescription": f"Fiix PM {n}",
            "strCode": f"SM{n}",
            "intPriorityID": 1 + n % 4,
            "intSiteID": 1,
            "__assets": [asset],
            "__trigger": self.trigger("month", 1 + n % 3),
        }

    def trigger(self, unit: str, every: int) -> dict[str, Any]:
        kind = self.UNITS[unit]
        field = {
            "D": "intTSDEveryDays",
            "W": "intTSWEveryWeeks",
            "M": "intTSMEveryMonths",
            "Y": "intTSYEveryYears",
            "H": "intTSHEveryHours",
        }[kind]
        return {"strType": "T", "strTSType": kind, field: every, "datTRStart": 1767600000000}

    def render_plan(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        return {
            **out,
            "className": "ScheduledMaintenance",
            "id": r["__id"],
            "dtmUpdatedDate": r["__updated"],
        }

    # A plan has one trigger (its id is the plan's) and one link per asset (its id is
    # the plan's and the asset's together), so children keep their ids across requests.
    LINK_IDS = 100000

    def plan_children(self, class_name: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        with self.lock:
            for plan in self.plans.values():
                if class_name == "ScheduledMaintenanceAsset":
                    for asset in plan.get("__assets", []):
                        rows.append(
                            {
                                "intAssetID": asset,
                                "intScheduledMaintenanceID": plan["__id"],
                                "id": plan["__id"] * self.LINK_IDS + asset,
                            }
                        )
                elif plan.get("__trigger"):
                    rows.append(
                        {
                            **plan["__trigger"],
                            "intScheduledMaintenanceID": plan["__id"],
                            "id": plan["__id"],
                        }
                    )
        return [{**row, "className": class_name} for row in rows]

    def _plan_write(self, name: str, data: dict[str, Any]) -> Answer:
        """Add, Change, Remove and FindById of a PM and of its asset links and trigger."""
        class_name = data.get("className")
        obj = {k: v for k, v in (data.get("object") or {}).items() if k != "className"}
        with self.lock:
            if name == "FindById" and class_name == "ScheduledMaintenance":
                plan = self.plans.get(int(data.get("id", 0)))
                if plan is None:
                    return self._error(name, "No such object.")
                return Answer(200, {"_maCn": "FindByIdResponse", "object": self.render_plan(plan)})
            if name == "Add" and class_name == "ScheduledMaintenance":
                if not isinstance(obj.get("intSiteID"), int):
                    return self._error(name, "Foreign key intSiteID is not valid.")
                obj.pop("id", None)
                plan = self.plans[self.add_plan({**obj, "__assets": [], "__trigger": None})]
                return self.created(
                    Answer(
                        200,
                        {"_maCn": "AddResponse", "object": self.render_plan(plan), "count": 1},
                    )
                )
            if name == "Change" and class_name == "ScheduledMaintenance":
                plan = self.plans.get(int(obj.get("id", 0)))
                if plan is None:
                    return self._error(name, "No such object.")
                fields = (data.get("changeFields") or ",".join(obj)).split(",")
                changes = {f: obj[f] for f in fields if f in obj and f != "id"}
                self.change_plan(plan["__id"], **changes)
                return Answer(
                    200, {"_maCn": "ChangeResponse", "object": self.render_plan(plan), "count": 1}
                )
            plan = self.plans.get(int(obj.get("intScheduledMaintenanceID") or 0))
            if name == "Add" and class_name == "ScheduledMaintenanceAsset" and plan:
                if not isinstance(obj.get("intAssetID"), int):
                    return self._error(name, "Foreign key intAssetID is not valid.")
                plan["__assets"].append(obj["intAssetID"])
                link = plan["__id"] * self.LINK_IDS + obj["intAssetID"]
                return Answer(200, {"_maCn": "AddResponse", "object": {**obj, "id": link}})
            if name == "Remove" and class_name == "ScheduledMaintenanceAsset":
                owner, asset = divmod(int(data.get("id", 0)), self.LINK_IDS)
                if owner not in self.plans or asset not in self.plans[owner]["__assets"]:
                    return self._error(name, "No such object.")
                self.plans[owner]["__assets"].remove(asset)
                return Answer(200, {"_maCn": "RemoveResponse", "count": 1})
            if name == "Add" and class_name == "ScheduleTrigger" and plan:
                plan["__trigger"] = {
                    k: v for k, v in obj.items() if k != "intScheduledMaintenanceID"
                }
                return Answer(200, {"_maCn": "AddResponse", "object": {**obj, "id": plan["__id"]}})
            if name == "Change" and class_name == "ScheduleTrigger":
                owner = self.plans.get(int(obj.get("id", 0)))
                if owner is None or not owner.get("__trigger"):
                    return self._error(name, "No such object.")
                fields = (data.get("changeFields") or ",".join(obj)).split(",")
                owner["__trigger"].update({f: obj[f] for f in fields if f in obj and f != "id"})
                return Answer(200, {"_maCn": "ChangeResponse", "object": obj, "count": 1})
        return self._error(name, "Unsupported request.")

    def _find_plans(self, data: dict[str, Any]) -> Answer:
        start, size = int(data.get("startIndex", 0)), data.get("maxObjects")
        class_name = data["className"]
        filters = data.get("filters") or []
        if isinstance(filters, dict):
            filters = [filters]
        since, among, wanted = None, None, {}
        for item in filters:
            ql = item.get("ql", "").replace(" ", "")
            if ql == "dtmUpdatedDate>=?":
                since = int(item["parameters"][0])
            elif ql.startswith("intScheduledMaintenanceIDIN("):
                among = {int(p) for p in item["parameters"]}
            elif ql.endswith("=?") and ql[:-2].isidentifier():
                wanted[ql[:-2]] = str(item["parameters"][0])
            else:
                return self._error("Find", f"Unsupported filter {item.get('ql')!r}.")
        if class_name == "ScheduledMaintenance":
            rows = self.equal_to([self.render_plan(r) for r in self.plans_since(since)], wanted)
        else:
            rows = self.plan_children(class_name)
            if among is not None:
                rows = [r for r in rows if r["intScheduledMaintenanceID"] in among]
        page = rows[start : start + size] if size else rows[start:]
        return Answer(200, {"_maCn": "FindResponse", "objects": page, "totalObjects": len(rows)})

    def sample(self, n: int) -> dict[str, Any]:
        return {
            "strDescription": f"Fiix job {n}",
            "intWorkOrderStatusID": 1,
            "intPriorityID": 1 + n % 4,
            "intSiteID": 1,
            "intMaintenanceTypeID": 1,
        }

    def render(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        return {
            **out,
            "className": "WorkOrder",
            "id": r["__id"],
            "dtmDateLastModified": r["__updated"],
            "intUpdated": r["__updated"],
            "strCode": r.get("strCode") or f"WO{r['__id']}",
        }

    def _error(self, name: str, message: str) -> Answer:
        return Answer(
            200,
            {"_maCn": f"{name}Response", "error": {"leg": "client", "code": 1, "message": message}},
        )

    def handle(self, method, path, query, headers, body, request) -> Answer:
        if path not in ("/api/", "/api") or method != "POST":
            return Answer(404, {"message": "not found"})
        data = _json(body)
        name = (data or {}).get("_maCn", "Unknown").removesuffix("Request")
        if query.get("appKey") != self.app_key or query.get("accessKey") != self.access_key:
            return self._error(name, "Unknown application or access key.")
        if query.get("signatureMethod") != "HmacSHA256" or query.get("signatureVersion") != "1":
            return self._error(name, "Missing signature parameters.")
        signed = headers.get("Host", "") + request.path
        expected = hmac.new(self.secret_key.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if headers.get("Authorization") != expected:
            return self._error(name, "Invalid signature.")
        if data is None:
            return self._error(name, "Malformed request.")
        if name == "Rpc":
            return Answer(200, {"_maCn": "RpcResponse", "object": {"name": "Ping"}})
        if name == "Find" and data.get("className") in (
            "ScheduledMaintenance",
            "ScheduledMaintenanceAsset",
            "ScheduleTrigger",
        ):
            return self._find_plans(data)
        if name in ("Add", "Change", "Remove", "FindById") and data.get("className") in (
            "ScheduledMaintenance",
            "ScheduledMaintenanceAsset",
            "ScheduleTrigger",
        ):
            return self._plan_write(name, data)
        if name == "Find":
            start, size = int(data.get("startIndex", 0)), data.get("maxObjects")
            fault = self._fault(start // size if size else 0)
            if fault:
                return fault
            since, wanted = None, {}
            filters = data.get("filters") or []
            if isinstance(filters, dict):
                filters = [filters]
            for item in filters:
                ql = item.get("ql", "").replace(" ", "")
                if ql == "dtmDateLastModified>=?":
                    since = int(item["parameters"][0])
                elif ql.endswith("=?") and ql[:-2].isidentifier():
                    wanted[ql[:-2]] = str(item["parameters"][0])
                else:
                    return self._error("Find", f"Unsupported filter {item.get('ql')!r}.")
            rows = self.equal_to([self.render(r) for r in self.changed_since(since)], wanted)
            page = rows[start : start + size] if size else rows[start:]
            return Answer(
                200, {"_maCn": "FindResponse", "objects": page, "totalObjects": len(rows)}
            )
        if name == "FindById":
            record = self.records.get(int(data.get("id", 0)))
            if record is None:
                return self._error(name, "No such object.")
            return Answer(200, {"_maCn": "FindByIdResponse", "object": self.render(record)})
        if name == "Add":
            obj = {
                k: v for k, v in (data.get("object") or {}).items() if k not in ("className", "id")
            }
            for fk in (
                "intSiteID",
                "intWorkOrderStatusID",
                "intPriorityID",
                "intMaintenanceTypeID",
            ):
                if not isinstance(obj.get(fk), int):
                    return self._error(name, f"Foreign key {fk} is not valid.")
            return self.created(
                Answer(
                    200,
                    {"_maCn": "AddResponse", "object": self.render(self.add(obj)), "count": 1},
                )
            )
        if name == "Change":
            obj = data.get("object") or {}
            ident = int(obj.get("id", 0))
            if ident not in self.records:
                return self._error(name, "No such object.")
            fields = [
                f.strip()
                for f in (data.get("changeFields") or ",".join(obj)).split(",")
                if f.strip()
            ]
            changes = {f: obj[f] for f in fields if f in obj and f not in ("id", "className")}
            if changes.get("intWorkOrderStatusID") in (5, 6):
                changes["dtmDateCompleted"] = now_ms()
            self.change(ident, **changes)
            return Answer(
                200,
                {"_maCn": "ChangeResponse", "object": self.render(self.records[ident]), "count": 1},
            )
        return self._error(name, "Unsupported request.")


# --- Maximo ------------------------------------------------------------------------------
class FakeMaximo(FakeVendor):
    api_key = "mx-key"
    site = "BEDFORD"
    plan_name_field = "description"

    def asset_key(self, n: int) -> tuple[Any, str]:
        return f"PUMP-{n}", f"PUMP-{n}/{self.site}"

    def sample_plan(self, n: int, asset: Any) -> dict[str, Any]:
        return {
            "pmnum": f"PM{100 + n}",
            "siteid": self.site,
            "description": f"Maximo PM {n}",
            "status": "ACTIVE",
            "frequency": 1 + n % 3,
            "frequnit": "MONTHS",
            "nextdate": "2026-01-05T08:00:00+00:00",
            "assetnum": asset,
        }

    def render_plan(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        restid = base64.b64encode(f"{r['siteid']}/{r['pmnum']}".encode()).decode()
        return {
            **out,
            "pmuid": r["__id"],
            "changedate": ms_iso(r["__updated"]),
            "_rowstamp": str(r["__updated"]),
            "href": f"{self.url}/maximo/api/os/mxapipm/_{restid.replace('=', '-')}",
        }

    def _plans(self, parts: list[str], path: str, query: dict[str, str], request) -> Answer:
        if len(parts) == 4:
            size = int(query.get("oslc.pageSize", 1000))
            pageno = int(query.get("pageno", 1))
            since = None
            for clause in query.get("oslc.where", "").split(" and "):
                if clause.startswith("changedate>="):
                    since = parse_moment(clause.split(">=", 1)[1].strip('"'))
            rows = self.plans_since(since)
            info: dict[str, Any] = {"href": request.path, "pagenum": pageno}
            if pageno * size < len(rows):
                info["nextPage"] = {"href": f"{self.url}{path}?pageno={pageno + 1}"}
            page = rows[(pageno - 1) * size : pageno * size]
            return Answer(
                200,
                {
                    "member": [self.render_plan(r) for r in page],
                    "href": request.path,
                    "responseInfo": info,
                },
            )
        if len(parts) == 5 and parts[4].startswith("_"):
            try:
                key = base64.b64decode(parts[4][1:].replace("-", "=")).decode()
                site, pmnum = key.split("/", 1)
            except (ValueError, UnicodeDecodeError):
                return Answer(404, {"Error": {"message": "not found"}})
            for plan in self.plans.values():
                if plan["siteid"] == site and plan["pmnum"] == pmnum:
                    return Answer(200, self.render_plan(plan))
        return Answer(404, {"Error": {"message": "not found"}})

    def sample(self, n: int) -> dict[str, Any]:
        return {
            "wonum": str(1000 + n),
            "siteid": self.site,
            "description": f"Maximo job {n}",
            "status": "WAPPR",
            "wopriority": 1 + n % 4,
        }

    def render(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        restid = base64.b64encode(f"{r['siteid']}/{r['wonum']}".encode()).decode().replace("=", "-")
        return {
            **out,
            "workorderid": r["__id"],
            "changedate": ms_iso(r["__updated"]),
            "_rowstamp": str(r["__updated"]),
            "href": f"{self.url}/maximo/api/os/mxapiwodetail/_{restid}",
        }

    def _find(self, restid: str) -> dict[str, Any] | None:
        if restid.isdigit():
            return self.records.get(int(restid))
        try:
            site, wonum = base64.b64decode(restid.replace("-", "=")).decode().split("/", 1)
        except (ValueError, UnicodeDecodeError):
            return None
        return next(
            (r for r in self.records.values() if r["siteid"] == site and r["wonum"] == wonum), None
        )

    def handle(self, method, path, query, headers, body, request) -> Answer:
        if (headers.get("apikey") or query.get("apikey")) != self.api_key:
            return Answer(
                401,
                {
                    "Error": {
                        "statusCode": "401",
                        "reasonCode": "BMXAA0021E",
                        "message": "User name and password combination are not valid.",
                    }
                },
            )
        parts = path.strip("/").split("/")
        if parts[:1] != ["maximo"] or len(parts) < 3 or parts[1] not in ("api", "oslc"):
            return Answer(404, {"Error": {"message": "not found"}})
        if parts[2] == "whoami":
            return Answer(200, {"userName": "MAXADMIN"})
        raw_query = request.path.split("?", 1)[-1].split("&")
        if any(item.startswith("oslc.orderBy=+") for item in raw_query):
            return Answer(400, {"Error": {"message": "unencoded + in oslc.orderBy"}})
        if len(parts) >= 4 and parts[2] == "os" and parts[3].lower() == "mxapipm":
            if method != "GET":
                return Answer(405, {"Error": {"message": "not served by this fake"}})
            return self._plans(parts, path, query, request)
        if (
            len(parts) < 4
            or parts[2] != "os"
            or parts[3].lower() not in ("mxapiwodetail", "mxapiwo", "mxwo", "mxwodetail")
        ):
            return Answer(404, {"Error": {"message": "unknown object structure"}})
        raw_query = request.path.split("?", 1)[-1].split("&")
        if any(item.startswith("oslc.orderBy=+") for item in raw_query):
            return Answer(400, {"Error": {"message": "unencoded + in oslc.orderBy"}})
        if len(parts) == 4 and method == "GET":
            size = int(query.get("oslc.pageSize", 1000))
            pageno = int(query.get("pageno", 1))
            fault = self._fault(pageno - 1)
            if fault:
                return fault
            since, wanted = None, {}
            where = query.get("oslc.where", "")
            for clause in where.split(" and ") if where else []:
                if clause.startswith("changedate>="):
                    since = parse_moment(clause.split(">=", 1)[1].strip('"'))
                elif "=" in clause and clause.split("=", 1)[0].isidentifier():
                    name, value = clause.split("=", 1)
                    wanted[name] = value.strip('"')
                else:
                    return Answer(400, {"Error": {"message": f"unsupported where {clause!r}"}})
            rendered = {r["__id"]: self.render(r) for r in self.changed_since(since)}
            kept = {row["workorderid"] for row in self.equal_to(list(rendered.values()), wanted)}
            rows = [r for r in self.changed_since(since) if r["__id"] in kept]
            page = rows[(pageno - 1) * size : pageno * size]
            info: dict[str, Any] = {"href": request.path, "pagenum": pageno}
            if pageno * size < len(rows):
                info["nextPage"] = {"href": f"{self.url}{path}?pageno={pageno + 1}"}
            return Answer(
                200,
                {
                    "member": [self.render(r) for r in page],
                    "href": request.path,
                    "responseInfo": info,
                },
            )
        if len(parts) == 4 and method == "POST":
            data = _json(body) or {}
            if not data.get("siteid"):
                return Answer(
                    400, {"Error": {"reasonCode": "BMXAA4195E", "message": "siteid is required"}}
                )
            data.setdefault("status", "WAPPR")
            data.setdefault("wonum", str(5000 + len(self.records)))
            record = self.add(data)
            answer_body = self.render(record) if headers.get("properties") else None
            return self.created(
                Answer(201, answer_body, headers={"Location": self.render(record)["href"]})
            )
        if len(parts) == 5 and parts[4].startswith("_"):
            record = self._find(parts[4][1:])
            if record is None:
                return Answer(404, {"Error": {"message": "not found"}})
            if method == "POST":
                if headers.get("x-method-override") != "PATCH":
                    return Answer(
                        400, {"Error": {"message": "member POST needs x-method-override"}}
                    )
                data = {
                    k: v for k, v in (_json(body) or {}).items() if k not in ("wonum", "siteid")
                }
                self.change(record["__id"], **data)
                if headers.get("properties"):
                    return Answer(200, self.render(record))
                return Answer(204)
            return Answer(200, self.render(record))
        return Answer(404, {"Error": {"message": "not found"}})


# --- MaintainX v1 -----------------------------------------------------------------------
class FakeMaintainX(FakeVendor):
    api_key = "mx-bearer"
    max_limit = 200

    def sample(self, n: int) -> dict[str, Any]:
        return {
            "title": f"MaintainX job {n}",
            "status": "OPEN",
            "priority": ("NONE", "LOW", "MEDIUM", "HIGH")[n % 4],
        }

    def render(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        return {**out, "id": r["__id"], "updatedAt": ms_iso(r["__updated"])}

    def handle(self, method, path, query, headers, body, request) -> Answer:
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return Answer(401, {"message": "Unauthorized", "statusCode": 401})
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", "workorders"]:
            return Answer(404, {"message": "not found", "statusCode": 404})
        if len(parts) == 2 and method == "GET":
            limit = min(int(query.get("limit", 100)), self.max_limit)
            start = int(base64.b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
            fault = self._fault(start // max(limit, 1))
            if fault:
                return fault
            since = parse_moment(query["updatedAtGte"]) if query.get("updatedAtGte") else None
            rows = list(reversed(self.changed_since(since)))  # newest first
            page = rows[start : start + limit]
            nxt = start + limit
            cursor = base64.b64encode(str(nxt).encode()).decode() if nxt < len(rows) else None
            return Answer(
                200,
                {
                    "workOrders": [self.render(r) for r in page],
                    "nextCursor": cursor,
                    "nextPageUrl": f"/v1/workorders?cursor={cursor}" if cursor else None,
                },
            )
        if len(parts) == 2 and method == "POST":
            data = _json(body) or {}
            if not data.get("title"):
                return Answer(400, {"message": "title is required", "statusCode": 400})
            return self.created(
                Answer(
                    201, {"id": self.add({"status": "OPEN", "priority": "NONE", **data})["__id"]}
                )
            )
        if len(parts) == 3:
            record = self.records.get(int(parts[2])) if parts[2].isdigit() else None
            if record is None:
                return Answer(404, {"message": "not found", "statusCode": 404})
            if method == "PATCH":
                data = _json(body) or {}
                if data.get("status") == "DONE":
                    data["completedAt"] = ms_iso(now_ms())
                self.change(record["__id"], **data)
            return Answer(200, {"workOrder": self.render(record)})
        return Answer(404, {"message": "not found", "statusCode": 404})


# --- Generic REST ------------------------------------------------------------------------
class FakeGenericRest(FakeVendor):
    api_key = "generic-key"
    plan_name_field = "name"

    def sample_plan(self, n: int, asset: Any) -> dict[str, Any]:
        return {
            "name": f"Generic PM {n}",
            "priority": "medium",
            "frequency": "month",
            "interval": 1 + n % 3,
            "starts_at": "2026-01-05T08:00:00Z",
            "asset_ids": [asset],
        }

    def sample(self, n: int) -> dict[str, Any]:
        return {"title": f"Generic job {n}", "status": "open", "priority": "medium"}

    def render(self, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("__")}
        return {**out, "id": r["__id"], "updated_at": ms_iso(r["__updated"])}

    def handle(self, method, path, query, headers, body, request) -> Answer:
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return Answer(401, {"detail": "unauthorized"})
        parts = path.strip("/").split("/")
        if parts == ["pm-schedules"] and method == "GET":
            size, page = int(query.get("page_size", 50)), int(query.get("page", 1))
            since = parse_moment(query["updated_since"]) if query.get("updated_since") else None
            rows = [self.render(r) for r in self.plans_since(since)]
            wanted = {
                k: v for k, v in query.items() if k not in ("page", "page_size", "updated_since")
            }
            rows = self.equal_to(rows, wanted)
            return Answer(200, {"results": rows[(page - 1) * size : page * size]})
        if parts == ["pm-schedules"] and method == "POST":
            data = _json(body) or {}
            if not data.get("name"):
                return Answer(400, {"name": ["required"]})
            return self.created(Answer(201, self.render(self.plans[self.add_plan(data)])))
        if parts[:1] == ["pm-schedules"] and len(parts) == 2:
            plan = self.plans.get(int(parts[1])) if parts[1].isdigit() else None
            if plan is None:
                return Answer(404, {"detail": "not found"})
            if method == "PATCH":
                self.change_plan(plan["__id"], **(_json(body) or {}))
            return Answer(200, self.render(plan))
        if parts[:1] != ["work-orders"]:
            return Answer(404, {"detail": "not found"})
        if len(parts) == 1 and method == "GET":
            size, page = int(query.get("page_size", 50)), int(query.get("page", 1))
            fault = self._fault(page - 1)
            if fault:
                return fault
            since = parse_moment(query["updated_since"]) if query.get("updated_since") else None
            rows = [self.render(r) for r in self.changed_since(since)]
            wanted = {
                k: v for k, v in query.items() if k not in ("page", "page_size", "updated_since")
            }
            rows = self.equal_to(rows, wanted)
            return Answer(200, {"results": rows[(page - 1) * size : page * size]})
        if len(parts) == 1 and method == "POST":
            data = _json(body) or {}
            if not data.get("title"):
                return Answer(400, {"title": ["required"]})
            return self.created(Answer(201, self.render(self.add(data))))
        record = self.records.get(int(parts[1])) if parts[1].isdigit() else None
        if record is None:
            return Answer(404, {"detail": "not found"})
        if method == "PATCH":
            self.change(record["__id"], **(_json(body) or {}))
        return Answer(200, self.render(record))
