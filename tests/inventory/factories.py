"""factory_boy factories for inventory. Parts are created through the service, as in use."""

from decimal import Decimal

import factory

from inventory.choices import LocationKind
from inventory.models import Part, StockLocation, Vendor
from inventory.services import catalog


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    email = factory.Sequence(lambda n: f"orders{n}@vendor.example")
    lead_time_days = 5


class StockLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLocation

    code = factory.Sequence(lambda n: f"LOC-{n:03d}")
    name = factory.Sequence(lambda n: f"Storeroom {n}")
    kind = LocationKind.STOREROOM


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    part_number = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"Bearing {n}")
    category = "Bearings"
    unit = "each"
    reorder_point = Decimal("0")
    reorder_quantity = Decimal("0")
    unit_cost = Decimal("10.0000")
    location = factory.SubFactory(StockLocationFactory)
    vendor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return catalog.part_create(by=None, **kwargs)
