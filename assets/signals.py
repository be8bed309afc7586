"""What the asset register tells other apps, sent by its services inside their transaction.

Preventive maintenance listens for readings (usage and condition triggers) and
alerts (event triggers) without the register having to know it exists.
"""

from django.dispatch import Signal

# sender=Meter, reading=MeterReading
meter_reading_recorded = Signal()
# sender=Asset, record=PerformanceRecord
performance_recorded = Signal()
# sender=Asset, alert=Alert, escalated=bool
alert_raised = Signal()
