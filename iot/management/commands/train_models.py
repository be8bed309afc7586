"""Train a tenant's remaining-life model now, as the weekly job and the API do."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from iot.services.prediction import prediction_model_request, prediction_model_train
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Train the tenant's remaining-life model from its readings and recorded failures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Schema of the tenant")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(schema_name=options["tenant"], ready=True).first()
        if tenant is None:
            raise CommandError(f"No ready tenant with schema {options['tenant']!r}.")
        with tenant_context(tenant):
            record = prediction_model_request(by=None, queue=False)
            record = prediction_model_train(model_id=record.pk)
        if record is None:
            raise CommandError("The model was trained by another process meanwhile.")
        if record.status != "ready":
            raise CommandError(f"Model {record.pk} failed: {record.error}")
        validation = record.validation
        self.stdout.write(
            f"Model {record.pk} ready: {record.assets} assets, {record.failures} failures, "
            f"{record.samples} samples, CV RMSE {validation.get('rmse_days')} days, "
            f"MAE {validation.get('mae_days')} days ({validation.get('folds')} folds), "
            f"{record.train_seconds} s."
        )
