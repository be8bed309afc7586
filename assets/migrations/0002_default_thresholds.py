"""Every tenant starts with the limits a maintenance team would set first.

Managers and planners tune them (or add per-type and per-asset ones) later.
"""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("temperature", "gt", Decimal("80"), "high"),
    ("vibration", "gt", Decimal("2.5"), "high"),
    ("uptime_percentage", "lt", Decimal("90"), "medium"),
    ("efficiency_rating", "lt", Decimal("70"), "low"),
]


def add_defaults(apps, schema_editor):
    Threshold = apps.get_model("assets", "Threshold")
    for metric, operator, value, severity in DEFAULTS:
        Threshold.objects.get_or_create(
            asset=None, asset_type="", metric=metric, operator=operator, severity=severity,
            defaults={"value": value},
        )


def remove_defaults(apps, schema_editor):
    Threshold = apps.get_model("assets", "Threshold")
    for metric, operator, _value, severity in DEFAULTS:
        Threshold.objects.filter(
            asset=None, asset_type="", metric=metric, operator=operator, severity=severity
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
