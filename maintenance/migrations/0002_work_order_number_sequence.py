"""The sequence behind work order numbers, one per tenant schema."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS maintenance_work_order_number START 1",
            "DROP SEQUENCE IF EXISTS maintenance_work_order_number",
        )
    ]
