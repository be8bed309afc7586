import io

import pytest
from django.apps import apps
from django_tenants.utils import tenant_context

from maintenance.choices import Status
from maintenance.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_the_demo_work_waiting_to_start_runs_on_sla_clocks(alpha):
    with tenant_context(alpha.tenant):
        for config in apps.get_app_configs():
            seeder = getattr(config, "seed_demo", None)
            if callable(seeder):
                seeder(stdout=io.StringIO())
        waiting = WorkOrder.objects.filter(status__in=[Status.OPEN, Status.SCHEDULED])
        assert waiting.exists()
        # The demo policies cover every priority, so none of them is left without a clock.
        assert not waiting.filter(sla_clock__isnull=True).exists()
        assert (
            WorkOrder.objects.filter(status=Status.COMPLETED, sla_clock__isnull=False).count() == 0
        )
