import factory

from assets.choices import AssetType, LocationKind
from assets.models import Asset, Location, Meter, Threshold


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Place {n}")
    kind = LocationKind.SITE
    parent = None
    path = factory.LazyAttribute(lambda o: f"{o.parent.path} / {o.name}" if o.parent else o.name)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    asset_id = factory.Sequence(lambda n: f"ASSET-{n:05d}")
    name = factory.Sequence(lambda n: f"Pump {n}")
    asset_type = AssetType.EQUIPMENT


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    asset = factory.SubFactory(AssetFactory)
    name = "Running hours"
    unit = "h"


class ThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Threshold

    metric = "temperature"
    operator = "gt"
    value = 80
    severity = "high"
