from django.db import migrations

# Stock movements name the work order they were for. Inventory sits below
# maintenance and knows work orders only by id; the constraint that keeps those
# ids real belongs here. Checked at once (not deferred), so a delete that would
# orphan a movement fails in its own statement, where the API answers 409.
ADD = """
DO $$
DECLARE old record;
BEGIN
    FOR old IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'inventory_stockmovement'::regclass
          AND confrelid = 'maintenance_workorder'::regclass AND contype = 'f'
    LOOP
        EXECUTE format('ALTER TABLE inventory_stockmovement DROP CONSTRAINT %I', old.conname);
    END LOOP;
END $$;
ALTER TABLE inventory_stockmovement
    ADD CONSTRAINT inventory_stockmovement_work_order_fk
    FOREIGN KEY (work_order_id) REFERENCES maintenance_workorder (id);
"""
DROP = "ALTER TABLE inventory_stockmovement DROP CONSTRAINT inventory_stockmovement_work_order_fk;"


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0003_preventive_maintenance"),
        ("inventory", "0002_stock_movement_work_order"),
    ]

    operations = [migrations.RunSQL(ADD, DROP)]
