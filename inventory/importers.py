"""Importing parts (with their opening stock) from CSV, XLSX or JSON rows.

Columns (headers are case-insensitive; spaces become underscores):

- ``part_number`` (required, the key: a row updates the part with that number),
  ``name`` (required for a new part), ``description``, ``category``, ``unit``
  (``each``, ``pair``, ``box``, ``kg``, ``l``, ... or common spellings such as
  ``pcs``, ``litre``), ``reorder_point``, ``reorder_quantity``, ``unit_cost``,
  ``active``;
- ``vendor``: the preferred vendor's name (created if the tenant has none so named);
- ``location``: the default stock location's code (created if missing);
- ``quantity`` (or ``quantity_on_hand``, ``opening_stock``): opening stock at ``location``;
- ``stock``: opening stock at several locations, ``MAIN:10; VAN-1:2`` (in JSON
  also an object ``{"MAIN": 10}``).

An empty cell leaves that field as it is. Opening stock is a receipt at the
row's unit cost, recorded only where the part has never had stock (no ledger
row at that location): re-running a file, or running an old one after the
stores have moved stock, never adds stock twice or overwrites real counts.
For the same reason the unit cost of a part that already has stock history is
left to its moving average.
"""

from decimal import Decimal
from typing import Any

from django.db import models
from import_export import fields as export_fields
from rest_framework import serializers

from core.exceptions import InvalidInput
from core.importing import Importer, ImporterResource, Outcome, RowRejected
from inventory.choices import Unit
from inventory.models import Part, StockLocation, StockMovement, Vendor
from inventory.services import catalog, stock

UNIT_ALIASES = {
    "pcs": Unit.EACH,
    "pc": Unit.EACH,
    "ea": Unit.EACH,
    "piece": Unit.EACH,
    "pieces": Unit.EACH,
    "unit": Unit.EACH,
    "units": Unit.EACH,
    "pairs": Unit.PAIR,
    "sets": Unit.SET,
    "kits": Unit.KIT,
    "boxes": Unit.BOX,
    "packs": Unit.PACK,
    "rolls": Unit.ROLL,
    "meter": Unit.METRE,
    "meters": Unit.METRE,
    "metres": Unit.METRE,
    "feet": Unit.FOOT,
    "kgs": Unit.KILOGRAM,
    "grams": Unit.GRAM,
    "lbs": Unit.POUND,
    "liter": Unit.LITRE,
    "liters": Unit.LITRE,
    "litres": Unit.LITRE,
    "gallons": Unit.GALLON,
}
OPENING_STOCK_COLUMNS = ("quantity", "quantity_on_hand", "opening_stock")
OPENING_REFERENCE = "Opening stock (import)"


def normalise_unit(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip().lower()
    for value, label in Unit.choices:
        if text in (value, str(label).lower()):
            return value
    return UNIT_ALIASES.get(text, raw)


class PartRowSerializer(serializers.Serializer):
    """Types and ranges of one row; what the services then judge (uniqueness) comes after."""

    part_number = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    unit = serializers.ChoiceField(choices=Unit.choices, required=False)
    reorder_point = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
    reorder_quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0"), required=False
    )
    active = serializers.BooleanField(required=False)
    vendor = serializers.CharField(max_length=200, required=False)
    location = serializers.CharField(max_length=50, required=False)
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )


def _stock_entries(raw: Any) -> list[tuple[str, Decimal]]:
    """``MAIN:10; VAN-1:2`` (or a JSON object) -> [("MAIN", 10), ("VAN-1", 2)]."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, str):
        pairs = []
        for chunk in raw.replace(",", ";").split(";"):
            if not chunk.strip():
                continue
            code, sep, amount = chunk.replace("=", ":").rpartition(":")
            if not sep or not code.strip():
                raise RowRejected(f'stock: "{chunk.strip()}" is not CODE:QUANTITY')
            pairs.append((code, amount))
    else:
        raise RowRejected("stock: expected CODE:QUANTITY pairs")
    field = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0"))
    entries = []
    for code, amount in pairs:
        try:
            entries.append((str(code).strip(), field.run_validation(str(amount).strip())))
        except serializers.ValidationError as exc:
            raise RowRejected(f"stock at {str(code).strip()}: {' '.join(exc.detail)}") from exc
    return entries


class PartImporter(Importer):
    """Create or update parts by part number, with their opening stock."""

    key_field = "part_number"
    columns = frozenset(
        {
            "part_number",
            "name",
            "description",
            "category",
            "unit",
            "reorder_point",
            "reorder_quantity",
            "unit_cost",
            "active",
            "vendor",
            "location",
            "stock",
            *OPENING_STOCK_COLUMNS,
        }
    )

    def import_row(self, data: dict[str, Any]) -> tuple[Outcome, models.Model]:
        data = dict(data)
        for column in OPENING_STOCK_COLUMNS[1:]:
            if data.get(column) is not None and data.get("quantity") is None:
                data["quantity"] = data[column]
        if "unit" in data:
            data["unit"] = normalise_unit(data["unit"])
        row = PartRowSerializer(data={k: v for k, v in data.items() if v is not None})
        if not row.is_valid():
            raise InvalidInput({k: [str(m) for m in v] for k, v in row.errors.items()})
        values = dict(row.validated_data)
        openings = _stock_entries(data.get("stock"))
        opening = values.pop("quantity", None)
        location_code = values.pop("location", None)
        vendor_name = values.pop("vendor", None)
        if opening is not None and opening > 0:
            if location_code is None:
                raise RowRejected("an opening quantity needs a location")
            openings.insert(0, (location_code, opening))

        if vendor_name is not None:
            values["vendor"] = self._vendor(vendor_name)
        if location_code is not None:
            values["location"] = self._location(location_code)

        part = Part.objects.filter(part_number__iexact=values["part_number"]).first()
        if part is None:
            if not values.get("name"):
                raise InvalidInput({"name": ["Required for a new part."]})
            part = catalog.part_create(by=self.by, **values)
            outcome: Outcome = "created"
        else:
            if StockMovement.objects.filter(part=part).exists():
                values.pop("unit_cost", None)
            values.pop("part_number")
            changed = {
                name: value
                for name, value in values.items()
                if getattr(part, name if name not in {"vendor", "location"} else f"{name}_id")
                != (value.pk if name in {"vendor", "location"} else value)
            }
            outcome = "unchanged"
            if changed:
                part = catalog.part_update(part=part, by=self.by, **changed)
                outcome = "updated"

        for code, quantity in openings:
            if quantity == 0:
                continue
            location = self._location(code)
            if StockMovement.objects.filter(part=part, location=location).exists():
                continue
            stock.part_restock(
                part=part,
                quantity=quantity,
                by=self.by,
                location=location,
                unit_cost=values.get("unit_cost"),
                reference=OPENING_REFERENCE,
            )
            outcome = "updated" if outcome == "unchanged" else outcome
        return outcome, part

    def _vendor(self, name: str) -> Vendor:
        vendor = Vendor.objects.filter(name__iexact=name.strip()).first()
        return vendor or catalog.vendor_create(by=self.by, name=name)

    def _location(self, code: str) -> StockLocation:
        code = code.strip()
        location = StockLocation.objects.filter(code__iexact=code).first()
        return location or catalog.stock_location_create(by=self.by, code=code, name=code)


class PartResource(ImporterResource):
    """Admin import/export of parts in the columns of ``import_parts``.

    The export's ``stock`` column lists the stock per location, so an exported
    file imported into another tenant brings the opening stock along, and
    imported back into the same tenant adds none.
    """

    importer_class = PartImporter
    vendor = export_fields.Field(attribute="vendor__name", column_name="vendor")
    location = export_fields.Field(attribute="location__code", column_name="location")
    stock = export_fields.Field(column_name="stock")

    class Meta:
        model = Part
        fields = (
            "part_number",
            "name",
            "description",
            "category",
            "unit",
            "reorder_point",
            "reorder_quantity",
            "unit_cost",
            "active",
            "vendor",
            "location",
            "stock",
        )
        export_order = fields

    def dehydrate_stock(self, part: Part) -> str:
        return "; ".join(
            f"{level.location.code}:{level.quantity.normalize():f}"
            for level in part.stock_levels.all()
            if level.quantity > 0
        )

    def get_export_queryset(self, request: Any) -> Any:
        return Part.objects.select_related("vendor", "location").prefetch_related(
            "stock_levels__location"
        )
