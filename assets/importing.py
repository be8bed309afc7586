"""Importing assets from CSV, XLSX or JSON (``import_assets`` and the admin).

Columns are the API's asset fields. ``parent`` is the parent's asset_id, and
parents may come anywhere in the file. ``location`` is a path such as
"Main Plant / Building A / Floor 2 / Room 201" (site > building > floor >
room), created where missing. ``tags`` is a comma- or semicolon-separated list;
``specifications`` a JSON object. An empty cell leaves the field as it is, so a
partial sheet updates only what it names; a second run of the same file changes
nothing.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.functions import Upper
from import_export import fields as export_fields
from rest_framework import serializers

from assets.api.serializers import AssetSerializer
from assets.choices import LocationKind
from assets.models import Asset, Location
from assets.services import registry
from core.audit import snapshot
from core.importing import (
    Deferred,
    FlushFirst,
    Importer,
    ImporterResource,
    Outcome,
    Row,
    RowRejected,
    topological,
)

LOCATION_KINDS_BY_DEPTH = [
    LocationKind.SITE,
    LocationKind.BUILDING,
    LocationKind.FLOOR,
    LocationKind.ROOM,
]
WRITABLE = [name for name in registry.ASSET_FIELDS if name != "location"]


def split_tags(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    return [tag.strip() for tag in re.split(r"[;,]", str(value)) if tag.strip()]


def parse_specifications(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise RowRejected(f"specifications: not valid JSON ({exc.msg})") from exc
    if not isinstance(parsed, dict):
        raise RowRejected("specifications: must be a JSON object")
    return parsed


def resolve_location_path(path: str, by: Any) -> Location:
    parts = [part.strip() for part in str(path).split("/") if part.strip()]
    if not parts:
        raise RowRejected("location: empty path")
    parent: Location | None = None
    for depth, name in enumerate(parts):
        found = Location.objects.filter(parent=parent, name__iexact=name).first()
        if found is None:
            kind = (
                LOCATION_KINDS_BY_DEPTH[depth]
                if depth < len(LOCATION_KINDS_BY_DEPTH)
                else LocationKind.AREA
            )
            found = registry.location_create(by=by, name=name, kind=kind, parent=parent)
        parent = found
    assert parent is not None
    return parent


class AssetImportSerializer(AssetSerializer):
    """The API's validation of an asset's own fields; parent and location are resolved apart."""

    class Meta(AssetSerializer.Meta):
        fields = [name for name in WRITABLE if name != "parent"]


def _row_errors(exc: serializers.ValidationError) -> str:
    detail = exc.detail if isinstance(exc.detail, dict) else {"row": exc.detail}
    return "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in detail.items())


@dataclass(frozen=True)
class _NewAsset:
    asset: Asset
    data: dict[str, Any]


class AssetImporter(Importer):
    key_field = "asset_id"
    # New assets are registered this many at a time (one insert per table per batch).
    batch_size = 500
    columns = frozenset({*registry.ASSET_FIELDS, "location_name", "building", "floor", "room"})

    def __init__(self, *, by: Any = None) -> None:
        super().__init__(by=by)
        # One validator each, built once: DRF builds a serializer's fields on first use.
        self._validate_new = AssetImportSerializer()
        self._validate_change = AssetImportSerializer(partial=True)
        self._assets: dict[str, Asset] = {}
        self._locations: dict[str, Location] = {}
        # Codes of new assets checked and waiting for the next batch.
        self._waiting: set[str] = set()

    def order(self, rows: list[Row]) -> list[Row]:
        codes = {
            str(r.data[k]).strip().upper()
            for r in rows
            for k in ("asset_id", "parent")
            if r.data.get(k)
        }
        existing = Asset.objects.annotate(code=Upper("asset_id")).filter(code__in=codes)
        self._assets = {asset.code: asset for asset in existing}
        return topological(rows, key="asset_id", parent_key="parent")

    def _checked(self, data: dict[str, Any]) -> tuple[Asset | None, dict[str, Any]]:
        """The registered asset the row updates (or None) and its validated fields."""
        asset_id = str(data.get("asset_id") or "").strip()
        if not asset_id:
            raise RowRejected("asset_id: required")
        parent_code = str(data["parent"]).strip() if data.get("parent") is not None else None
        if {asset_id.upper(), (parent_code or "").upper()} & self._waiting:
            raise FlushFirst  # it updates, or hangs under, an asset of the waiting batch
        existing = self._assets.get(asset_id.upper())
        payload = {
            name: data[name] for name in WRITABLE if data.get(name) is not None and name != "parent"
        }
        payload["asset_id"] = existing.asset_id if existing else asset_id
        if "tags" in payload:
            payload["tags"] = split_tags(payload["tags"])
        if "specifications" in payload:
            payload["specifications"] = parse_specifications(payload["specifications"])
        if "install_date" in payload and hasattr(payload["install_date"], "date"):
            payload["install_date"] = payload[
                "install_date"
            ].date()  # XLSX cells arrive as datetimes
        validator = self._validate_change if existing else self._validate_new
        try:
            fields = dict(validator.run_validation(payload))
        except serializers.ValidationError as exc:
            raise RowRejected(_row_errors(exc)) from exc
        if parent_code is not None:
            fields["parent"] = self._parent(parent_code)
        return existing, fields

    def defer_row(self, data: dict[str, Any]) -> Deferred | None:
        existing, fields = self._checked(data)
        if existing is not None:
            return None
        asset = registry.asset_build(**fields)
        self._waiting.add(asset.asset_id.upper())
        # The place is found (or created) when the batch is written, so a batch
        # that fails leaves no new locations behind.
        return Deferred(_NewAsset(asset, data))

    def import_row(self, data: dict[str, Any]) -> tuple[Outcome, models.Model]:
        """One row on its own; ``run`` sends only updates here, new assets go in batches."""
        existing, fields = self._checked(data)  # in memory: cheap beside the update itself
        if existing is None:
            (created,) = self.write_batch([_NewAsset(registry.asset_build(**fields), data)])
            return "created", created
        location_key, location = self._location(data)
        if location is not None:
            fields["location"] = location
        before = snapshot(existing, registry.ASSET_FIELDS)
        asset = registry.asset_update(by=self.by, asset=existing, **fields)
        outcome: Outcome = (
            "updated" if snapshot(asset, registry.ASSET_FIELDS) != before else "unchanged"
        )
        # Remembered only now: a row that failed halfway was rolled back with its savepoint.
        self._assets[asset.asset_id.upper()] = asset
        if location_key:
            self._locations[location_key] = location
        return outcome, asset

    def write_batch(self, payloads: list["_NewAsset"]) -> list[models.Model]:
        found: dict[str, Location] = {}
        for new in payloads:
            location_key, location = self._location(new.data, also=found)
            if location is not None:
                new.asset.location = location
                found[location_key] = location
        assets = registry.assets_register(by=self.by, assets=[new.asset for new in payloads])
        # Remembered only now, once the whole batch is written.
        self._assets.update((asset.asset_id.upper(), asset) for asset in assets)
        self._locations.update(found)
        return list(assets)

    def batch_done(self) -> None:
        self._waiting.clear()

    def _parent(self, code: str) -> Asset:
        parent = self._assets.get(code.upper())
        if parent is None:
            raise RowRejected(
                f"parent: no asset with asset_id {code!r} (in the file or already registered)"
            )
        return parent

    def _location(
        self, data: dict[str, Any], also: dict[str, Location] | None = None
    ) -> tuple[str, Location | None]:
        if data.get("location") is not None:
            key = "path:" + str(data["location"]).strip().lower()
            cached = self._locations.get(key) or (also or {}).get(key)
            return key, cached or resolve_location_path(data["location"], self.by)
        named = [data.get(k) for k in ("location_name", "building", "floor", "room")]
        if not any(named):
            return "", None
        key = "names:" + "/".join(str(n or "").strip().lower() for n in named)
        cached = self._locations.get(key) or (also or {}).get(key)
        return key, cached or registry.location_resolve(
            site=named[0], building=named[1], floor=named[2], room=named[3], by=self.by
        )


class AssetResource(ImporterResource):
    """Admin import/export of assets, in the same columns as ``import_assets``."""

    importer_class = AssetImporter
    parent = export_fields.Field(attribute="parent__asset_id", column_name="parent")
    location = export_fields.Field(attribute="location__path", column_name="location")
    tags = export_fields.Field(column_name="tags")
    specifications = export_fields.Field(column_name="specifications")

    class Meta:
        model = Asset
        fields = registry.ASSET_FIELDS
        export_order = fields

    def dehydrate_tags(self, asset: Asset) -> str:
        return ", ".join(asset.tags)

    def dehydrate_specifications(self, asset: Asset) -> str:
        return json.dumps(asset.specifications, sort_keys=True) if asset.specifications else ""

    def get_export_queryset(self, request: Any) -> Any:
        return Asset.objects.select_related("parent", "location")
