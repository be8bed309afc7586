from django.db import migrations, models


class Migration(migrations.Migration):
    """Describe the work order reference; maintenance (above inventory) adds its constraint."""

    dependencies = [
        ('inventory', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='stockmovement',
            name='work_order_id',
            field=models.BigIntegerField(blank=True, db_index=True, help_text='The work order the parts went to (or came back from).', null=True),
        ),
    ]
