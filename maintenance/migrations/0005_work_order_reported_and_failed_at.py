import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0003_failures'),
        ('maintenance', '0004_stock_movement_work_order_constraint'),
    ]

    operations = [
        migrations.AddField(
            model_name='workorder',
            name='failed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='workorder',
            name='reported_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        # Work reported before this field existed was reported when it was created.
        migrations.RunSQL(
            "UPDATE maintenance_workorder SET reported_at = created_at",
            migrations.RunSQL.noop,
        ),
        # Failures name the work order that dealt with them; the register sits below
        # maintenance and knows it only by id, so the constraint lives here.
        migrations.RunSQL(
            "ALTER TABLE assets_failure ADD CONSTRAINT assets_failure_work_order_fk "
            "FOREIGN KEY (work_order_id) REFERENCES maintenance_workorder (id)",
            "ALTER TABLE assets_failure DROP CONSTRAINT assets_failure_work_order_fk",
        ),
    ]
