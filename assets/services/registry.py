"""The asset register: places, assets, their hierarchy, moves and QR tokens.

Each write runs in one transaction and is audited.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from assets.choices import DOWN_STATUSES, AssetStatus, LocationKind
from assets.events import AssetCodeReleased
from assets.models import (
    Asset,
    AssetDowntime,
    AssetLocationChange,
    Location,
    new_request_token,
)
from assets.selectors import asset_ancestor_ids, location_subtree_ids
from core.audit import audit_record, audit_record_many, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.locks import tenant_transaction_lock
from core.models import User
from core.reactions import dispatch
from core.writes import audited_update, locked, refuse_unknown, validate

# What a client may set on an asset: the API's writable fields, the importer's
# columns and the admin's form all come from this list.
ASSET_FIELDS: tuple[str, ...] = (
    "asset_id",
    "name",
    "asset_type",
    "status",
    "condition",
    "criticality",
    "parent",
    "location",
    "description",
    "manufacturer",
    "model",
    "serial_number",
    "department",
    "responsible_person",
    "tags",
    "specifications",
    "install_date",
    "purchase_cost",
)
LOCATION_FIELDS = ("name", "kind", "parent", "latitude", "longitude", "zone", "department")
# Route names under /assets/ that an asset code must not shadow.
RESERVED_ASSET_IDS = frozenset({"statistics"})


# --- Locations -------------------------------------------------------------------


def _location_path(name: str, parent: Location | None) -> str:
    return f"{parent.path} / {name}" if parent else name


@transaction.atomic
def location_create(
    *,
    by: User | None,
    name: str,
    kind: str = LocationKind.AREA,
    parent: Location | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    zone: str = "",
    department: str = "",
) -> Location:
    """Add a place under ``parent`` (or at the top)."""
    name = name.strip()
    if Location.objects.filter(parent=parent, name__iexact=name).exists():
        raise InvalidInput({"name": ["A location with this name already exists here."]})
    location = Location(
        name=name,
        kind=kind,
        parent=parent,
        path=_location_path(name, parent),
        latitude=latitude,
        longitude=longitude,
        zone=zone,
        department=department,
    )
    validate(location, exclude=["path"])
    location.save()
    audit_record(
        actor=by,
        action="location.create",
        obj=location,
        changes=changes_between({}, {"path": location.path}),
    )
    return location


@transaction.atomic
def location_update(*, by: User | None, location: Location, **fields: Any) -> Location:
    """Change a place; renaming or moving it renames the path of everything below it."""
    refuse_unknown(fields, LOCATION_FIELDS)
    location = locked(location)
    new_parent = fields.get("parent", location.parent)
    if (
        new_parent is not None
        and "parent" in fields
        and new_parent.pk in location_subtree_ids(location)
    ):
        raise InvalidInput(
            {"parent": ["A location cannot be placed inside itself or its own sub-locations."]}
        )
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    old_path = location.path

    def check(changed: Location) -> None:
        if (
            Location.objects.filter(parent=changed.parent, name__iexact=changed.name)
            .exclude(pk=changed.pk)
            .exists()
        ):
            raise InvalidInput({"name": ["A location with this name already exists here."]})
        changed.path = _location_path(changed.name, changed.parent)

    audited_update(
        location,
        by=by,
        action="location.update",
        fields=fields,
        audited=LOCATION_FIELDS,
        validate_exclude=["path"],
        check=check,
    )
    if location.path != old_path:
        _rename_descendants(location)
    return location


def _rename_descendants(location: Location) -> None:
    pending = [location]
    while pending:
        parent = pending.pop()
        children = list(Location.objects.filter(parent=parent))
        for child in children:
            child.path = _location_path(child.name, parent)
        Location.objects.bulk_update(children, ["path", "updated_at"])
        pending.extend(children)


@transaction.atomic
def location_delete(*, by: User | None, location: Location) -> None:
    if location.children.exists() or location.assets.exists():
        raise Conflict("This location still holds assets or other locations.", "location_in_use")
    audit_record(
        actor=by,
        action="location.delete",
        obj=location,
        changes={"path": {"before": location.path, "after": None}},
    )
    location.delete()


def location_resolve(
    *,
    site: str | None = None,
    building: str | None = None,
    floor: str | None = None,
    room: str | None = None,
    by: User | None = None,
) -> Location:
    """The place named by site > building > floor > room, created where missing.

    Only the parts given count: ``building="B2", room="101"`` is room 101 in
    building B2 (at the top level when no site is named).
    """
    parts = [
        (LocationKind.SITE, site),
        (LocationKind.BUILDING, building),
        (LocationKind.FLOOR, floor),
        (LocationKind.ROOM, room),
    ]
    parent: Location | None = None
    for kind, name in parts:
        if not name or not str(name).strip():
            continue
        name = str(name).strip()[:200]
        existing = Location.objects.filter(parent=parent, name__iexact=name).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = location_create(by=by, name=name, kind=kind, parent=parent)
            except (IntegrityError, InvalidInput):
                # Created by a concurrent caller a moment ago.
                existing = Location.objects.get(parent=parent, name__iexact=name)
        parent = existing
    if parent is None:
        raise InvalidInput(
            {"location_name": ["Name the place: location_name, building, floor or room."]}
        )
    return parent


# --- Assets ----------------------------------------------------------------------


def _asset_state(asset: Asset) -> dict[str, Any]:
    return snapshot(asset, ASSET_FIELDS)


ASSET_ID_TAKEN = "An asset with this asset_id already exists."


def _check_not_reserved(asset_id: str) -> None:
    if asset_id.lower() in RESERVED_ASSET_IDS:
        raise InvalidInput({"asset_id": [f'"{asset_id}" is reserved; choose another code.']})


def _check_asset_id(asset_id: str, *, exclude_pk: int | None = None) -> None:
    _check_not_reserved(asset_id)
    clash = Asset.objects.filter(asset_id__iexact=asset_id)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"asset_id": [ASSET_ID_TAKEN]})


def _check_parent(asset: Asset, parent: Asset | None) -> None:
    """Refuse a loop. The caller holds the hierarchy lock (until commit), so two
    concurrent re-parentings cannot close a loop between them."""
    if parent is None or asset.pk is None:
        return
    if asset.pk in asset_ancestor_ids(parent.pk):
        raise InvalidInput(
            {"parent": ["An asset cannot be placed under itself or one of its own sub-assets."]}
        )


def _open_downtime(asset: Asset, status: str, at: datetime, reason: str) -> None:
    AssetDowntime.objects.create(asset=asset, status=status, started_at=at, reason=reason[:500])


def _close_downtime(asset: Asset, at: datetime) -> None:
    AssetDowntime.objects.filter(asset=asset, ended_at__isnull=True).update(
        ended_at=at, updated_at=timezone.now()
    )


def asset_build(*, asset_id: str, name: str, asset_type: str, **fields: Any) -> Asset:
    """A new asset checked field by field, not saved yet (see ``assets_register``)."""
    asset_id = asset_id.strip()
    _check_not_reserved(asset_id)
    refuse_unknown(fields, ASSET_FIELDS, message="Unknown field.")
    asset = Asset(asset_id=asset_id, name=name, asset_type=asset_type, **fields)
    asset.tags = _clean_tags(asset.tags)
    validate(asset, exclude=["request_token"])
    return asset


@transaction.atomic
def assets_register(
    *, by: User | None, assets: Sequence[Asset], at: datetime | None = None
) -> list[Asset]:
    """Register built assets together: one query per table, however many there are.

    The rules are those of registering one: codes unique ignoring case, a downtime
    period for each starting in maintenance or repair, the first place in the
    location history, an audit entry each.
    """
    at = at or timezone.now()
    codes = [asset.asset_id.upper() for asset in assets]
    if (
        len(set(codes)) < len(codes)
        or Asset.objects.annotate(code=Upper("asset_id")).filter(code__in=codes).exists()
    ):
        raise InvalidInput({"asset_id": [ASSET_ID_TAKEN]})
    # No hierarchy lock: nothing can point at an asset that does not exist yet, so no loop.
    created = Asset.objects.bulk_create(assets)
    AssetDowntime.objects.bulk_create(
        AssetDowntime(
            asset=asset, status=asset.status, started_at=at, reason="registered in this status"
        )
        for asset in created
        if asset.status in DOWN_STATUSES
    )
    AssetLocationChange.objects.bulk_create(
        AssetLocationChange(asset=asset, location=asset.location, moved_at=at, moved_by=by)
        for asset in created
        if asset.location is not None
    )
    audit_record_many(
        actor=by,
        action="asset.create",
        changes_by_object=[(asset, changes_between({}, _asset_state(asset))) for asset in created],
    )
    return created


@transaction.atomic
def asset_create(
    *,
    by: User | None,
    asset_id: str,
    name: str,
    asset_type: str,
    at: datetime | None = None,
    **fields: Any,
) -> Asset:
    """Register an asset. Starting in maintenance or repair opens a downtime period."""
    asset = asset_build(asset_id=asset_id, name=name, asset_type=asset_type, **fields)
    (created,) = assets_register(by=by, assets=[asset], at=at)
    return created


def _clean_tags(tags: Iterable[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags or []:
        tag = str(tag).strip()
        if tag:
            seen.setdefault(tag[:50], None)
    return list(seen)


@transaction.atomic
def asset_update(
    *,
    by: User | None,
    asset: Asset,
    reason: str = "",
    at: datetime | None = None,
    **changes: Any,
) -> Asset:
    """Change an asset's details, parent, location or status.

    A new parent that would make a loop is refused; a status change into or out
    of maintenance/repair opens or closes a downtime period; a new location is
    recorded in the location history.
    """
    at = at or timezone.now()
    if changes.get("parent") is not None:
        # Before any row lock: the foreign-key check on the new parent takes a row lock
        # of its own, and taking the hierarchy lock second could deadlock against it.
        tenant_transaction_lock("asset-hierarchy")
    refuse_unknown(changes, ASSET_FIELDS, message="Unknown field.")
    asset = locked(asset)
    if "asset_id" in changes and changes["asset_id"] != asset.asset_id:
        changes["asset_id"] = changes["asset_id"].strip()
        _check_asset_id(changes["asset_id"], exclude_pk=asset.pk)
        if changes["asset_id"] != asset.asset_id:
            dispatch(AssetCodeReleased(asset=asset, asset_id=asset.asset_id))
    if "parent" in changes and changes["parent"] is not None:
        if changes["parent"].pk == asset.pk:
            raise InvalidInput({"parent": ["An asset cannot be its own parent."]})
        _check_parent(asset, changes["parent"])
    if "tags" in changes:
        changes["tags"] = _clean_tags(changes["tags"])
    old_status, old_location = asset.status, asset.location
    diff = audited_update(
        asset,
        by=by,
        action="asset.update",
        fields=changes,
        audited=ASSET_FIELDS,
        validate_exclude=["request_token"],
    )
    if not diff:
        return asset
    was_down, is_down = old_status in DOWN_STATUSES, asset.status in DOWN_STATUSES
    if is_down and not was_down:
        _open_downtime(asset, asset.status, at, reason)
    elif was_down and not is_down:
        _close_downtime(asset, at)
    if asset.location_id and asset.location != old_location:
        AssetLocationChange.objects.create(
            asset=asset,
            location=asset.location,
            previous_location=old_location,
            moved_at=at,
            moved_by=by,
        )
    return asset


def asset_change_status(
    *, by: User | None, asset: Asset, status: str, reason: str = "", at: datetime | None = None
) -> Asset:
    """Put an asset into a status (maintenance, repair, back to operational, ...)."""
    if status not in AssetStatus.values:
        raise InvalidInput({"status": [f'"{status}" is not a valid status.']})
    return asset_update(by=by, asset=asset, status=status, reason=reason, at=at)


@transaction.atomic
def asset_delete(*, by: User | None, asset: Asset) -> None:
    """Remove an asset and its own measurements. One that still has sub-assets is refused."""
    asset = locked(asset)
    if asset.children.exists():
        raise Conflict(
            "This asset has sub-assets; move or delete them first.", "asset_has_children"
        )
    audit_record(
        actor=by, action="asset.delete", obj=asset, changes=changes_between(_asset_state(asset), {})
    )
    dispatch(AssetCodeReleased(asset=asset, asset_id=asset.asset_id))
    asset.delete()


@transaction.atomic
def asset_move(
    *,
    by: User | None,
    asset: Asset,
    location: Location | None = None,
    location_name: str | None = None,
    building: str | None = None,
    floor: str | None = None,
    room: str | None = None,
    coordinates: tuple[Decimal, Decimal] | None = None,
    zone: str = "",
    department: str = "",
    notes: str = "",
    at: datetime | None = None,
) -> AssetLocationChange:
    """Move an asset to a place, given as a location or as site/building/floor/room names.

    ``location_name`` is the site (the top of the hierarchy). The move is kept
    in the asset's location history with its coordinates, zone and department.
    """
    at = at or timezone.now()
    if location is None:
        location = location_resolve(
            site=location_name, building=building, floor=floor, room=room, by=by
        )
    asset = locked(asset)
    previous = asset.location
    latitude, longitude = coordinates if coordinates else (None, None)
    change = AssetLocationChange.objects.create(
        asset=asset,
        location=location,
        previous_location=previous,
        moved_at=at,
        moved_by=by,
        latitude=latitude,
        longitude=longitude,
        zone=zone,
        department=department,
        notes=notes,
    )
    asset.location = location
    if department:
        asset.department = department
    asset.save(update_fields=["location", "department", "updated_at"])
    audit_record(
        actor=by,
        action="asset.move",
        obj=asset,
        changes={
            "location": {"before": previous.path if previous else None, "after": location.path}
        },
    )
    return change


@transaction.atomic
def asset_rotate_request_token(*, by: User | None, asset: Asset) -> Asset:
    """Issue a new QR token; labels printed with the old one stop working."""
    asset = locked(asset)
    asset.request_token = new_request_token()
    asset.save(update_fields=["request_token", "updated_at"])
    audit_record(actor=by, action="asset.rotate_request_token", obj=asset)
    return asset


# --- Alerts ----------------------------------------------------------------------
