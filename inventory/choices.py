from django.db import models


class Unit(models.TextChoices):
    """How a part is counted and issued."""

    EACH = "each", "Each"
    PAIR = "pair", "Pair"
    SET = "set", "Set"
    KIT = "kit", "Kit"
    BOX = "box", "Box"
    PACK = "pack", "Pack"
    ROLL = "roll", "Roll"
    METRE = "m", "Metre"
    FOOT = "ft", "Foot"
    KILOGRAM = "kg", "Kilogram"
    GRAM = "g", "Gram"
    POUND = "lb", "Pound"
    LITRE = "l", "Litre"
    MILLILITRE = "ml", "Millilitre"
    GALLON = "gal", "Gallon"


class LocationKind(models.TextChoices):
    STOREROOM = "storeroom", "Storeroom"
    BIN = "bin", "Bin"
    VEHICLE = "vehicle", "Vehicle"
    SITE = "site", "Site"


class MovementKind(models.TextChoices):
    """What a ledger row records. The sign of its quantity says in or out."""

    RECEIPT = "receipt", "Receipt"
    ISSUE = "issue", "Issue"
    RETURN = "return", "Return"
    TRANSFER = "transfer", "Transfer"
    ADJUSTMENT = "adjustment", "Adjustment"


class AdjustmentReason(models.TextChoices):
    CYCLE_COUNT = "cycle_count", "Cycle count"
    DAMAGED = "damaged", "Damaged"
    LOST = "lost", "Lost"
    FOUND = "found", "Found"
    EXPIRED = "expired", "Expired"
    CORRECTION = "correction", "Correction"
    OTHER = "other", "Other"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    ORDERED = "ordered", "Ordered"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


# Purchase orders whose outstanding quantities are still expected to arrive.
OPEN_PURCHASE_ORDER_STATUSES: frozenset[str] = frozenset(
    {
        PurchaseOrderStatus.DRAFT,
        PurchaseOrderStatus.APPROVED,
        PurchaseOrderStatus.ORDERED,
        PurchaseOrderStatus.PARTIALLY_RECEIVED,
    }
)
