"""Spare parts, where they are kept, every unit that moves, vendors and purchase orders.

Stock is written only by ``inventory.services``: each change of a stock level
is a ``StockMovement`` row written in the same transaction, under row locks
taken in one fixed order (parts by id, then their stock levels by location),
so levels, the part's total and the ledger always agree.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from inventory.choices import (
    AdjustmentReason,
    LocationKind,
    MovementKind,
    PurchaseOrderStatus,
    Unit,
)

# Quantities allow fractions (litres, metres) to the thousandth; stored totals get
# two more digits than any single input may carry, so sums of inputs still fit.
QUANTITY = {"max_digits": 14, "decimal_places": 3}
# A moving average needs more precision than a price tag.
UNIT_COST = {"max_digits": 14, "decimal_places": 4}
MONEY = {"max_digits": 18, "decimal_places": 2}
ZERO = Decimal("0")


class Vendor(models.Model):
    """A supplier of parts."""

    name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    lead_time_days = models.PositiveIntegerField(
        default=0, help_text="Usual days between ordering and receiving."
    )
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="inventory_vendor_name_unique",
                violation_error_message="A vendor with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StockLocation(models.Model):
    """A place stock is kept: a storeroom, a bin inside one, a service van."""

    code = models.CharField(max_length=50, help_text="Short unique code, e.g. MAIN or MAIN-A01.")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=LocationKind.choices, default=LocationKind.STOREROOM
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    # Every tenant has one from the start: stock goes there when neither the request
    # nor the part names a location, so a part needs no set-up to be stocked.
    is_main = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                name="inventory_stocklocation_code_unique",
                violation_error_message="A stock location with this code already exists.",
            ),
            models.UniqueConstraint(
                fields=["is_main"],
                condition=models.Q(is_main=True),
                name="inventory_stocklocation_one_main",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Part(models.Model):
    """A spare part kept in stock.

    ``quantity_on_hand`` is the sum of the part's stock levels, kept by the
    stock services in the same transaction as the levels (so it can be
    filtered, ordered and read without a join). ``unit_cost`` is the moving
    average cost, updated on every receipt. ``low_stock_since`` is set when the
    part falls to or below its reorder point and cleared when it rises above:
    the low-stock event fires on that transition only, once per crossing.
    """

    part_number = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.EACH)
    quantity_on_hand = models.DecimalField(**QUANTITY, default=ZERO, editable=False)
    reorder_point = models.DecimalField(**QUANTITY, default=ZERO)
    reorder_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    unit_cost = models.DecimalField(**UNIT_COST, default=ZERO)
    location = models.ForeignKey(
        StockLocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_parts",
        help_text="Default stock location: where receipts go and usage is taken from first.",
    )
    vendor = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parts",
        help_text="Preferred vendor; suggested reorders go to this vendor.",
    )
    active = models.BooleanField(default=True)
    low_stock_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["part_number", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("part_number"),
                name="inventory_part_number_unique",
                violation_error_message="A part with this part number already exists.",
            ),
            models.CheckConstraint(
                condition=Q(quantity_on_hand__gte=0), name="inventory_part_on_hand_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reorder_point__gte=0), name="inventory_part_reorder_point_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reorder_quantity__gte=0), name="inventory_part_reorder_qty_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_part_unit_cost_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "part_number"]),
        ]
        permissions = [
            ("record_usage", "Can record part usage and returns"),
            ("restock_part", "Can restock parts"),
            ("adjust_stock", "Can adjust stock"),
            ("transfer_stock", "Can transfer stock between locations"),
        ]

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"

    @property
    def is_low_stock(self) -> bool:
        return self.quantity_on_hand <= self.reorder_point


class StockLevel(models.Model):
    """How many of one part are at one location. Never negative (a CHECK constraint)."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="stock_levels"
    )
    quantity = models.DecimalField(**QUANTITY, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["part_id", "location_id"]
        # Written only by the stock services, so no add/change/delete permission exists.
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["part", "location"], name="inventory_level_once"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="inventory_level_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}: {self.quantity}"


class StockMovement(models.Model):
    """One row of the ledger: a signed change of one part's stock at one location.

    For each part and location the quantities sum to the stock level, and
    ``balance_after`` is the level this movement left behind. Issues carry the
    moving-average cost at the moment of issue, so what a work order consumed
    is valued exactly. Rows are never changed or deleted.
    """

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    quantity = models.DecimalField(**QUANTITY, help_text="Signed: positive in, negative out.")
    balance_after = models.DecimalField(
        **QUANTITY, help_text="Stock level at this location after the movement."
    )
    part_balance_after = models.DecimalField(
        **QUANTITY, help_text="The part's quantity on hand after the movement."
    )
    unit_cost = models.DecimalField(**UNIT_COST)
    total_cost = models.DecimalField(**MONEY, help_text="|quantity| x unit cost, to the cent.")
    reason = models.CharField(max_length=20, choices=AdjustmentReason.choices, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    # The store knows work orders only by id: maintenance sits above inventory and
    # holds the foreign key constraint on this column (its migration 0004).
    work_order_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The work order the parts went to (or came back from).",
    )
    purchase_order_line = models.ForeignKey(
        "PurchaseOrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    other_location = models.ForeignKey(
        StockLocation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For transfers: where the stock came from or went to.",
    )
    notes = models.TextField(blank=True)
    actor = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from the foreign key so the ledger survives the user's deletion.
    actor_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="inventory_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="inventory_movement_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_movement_unit_cost_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["part", "-created_at", "-id"]),
            models.Index(fields=["part", "location", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of part {self.part_id} at {self.location_id}"


class PurchaseOrder(models.Model):
    """An order to one vendor: draft -> approved -> ordered -> (partially) received.

    Cancelled is reachable from every state but received; received and
    cancelled are final. ``number`` is the human reference, ``PO-000123``.
    """

    number = models.CharField(max_length=20, unique=True, null=True, blank=True, editable=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(
        max_length=20,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.DRAFT,
        db_index=True,
    )
    expected_at = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="The vendor's reference.")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_purchaseorder", "Can approve purchase orders"),
            ("receive_purchaseorder", "Can receive purchase orders"),
        ]

    def __str__(self) -> str:
        return self.number or f"PO #{self.pk}"


class PurchaseOrderLine(models.Model):
    """A part on a purchase order: how many, at what price, received so far, for where."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity = models.DecimalField(**QUANTITY)
    quantity_received = models.DecimalField(**QUANTITY, default=ZERO)
    unit_cost = models.DecimalField(**UNIT_COST, default=ZERO)
    location = models.ForeignKey(
        StockLocation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where receipts go; the part's default location when empty.",
    )
    notes = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["purchase_order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_poline_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__gte=0) & Q(quantity_received__lte=F("quantity")),
                name="inventory_poline_received_in_range",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_poline_unit_cost_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x part {self.part_id}"

    @property
    def quantity_outstanding(self) -> Decimal:
        return self.quantity - self.quantity_received
