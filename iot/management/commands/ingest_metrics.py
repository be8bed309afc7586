"""Load readings from a CSV file (device_id,metric,value,unit,timestamp) into a tenant,
through the same ingestion service as the API and MQTT, in batches of 10,000."""

import csv
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context
from tqdm import tqdm

from core.exceptions import InvalidInput
from iot.services.ingestion import readings_ingest
from tenants.models import Tenant

COLUMNS = ("device_id", "metric", "value", "unit", "timestamp")
REQUIRED = ("device_id", "metric", "value", "timestamp")


def _number(text: str | None) -> Any:
    # A value that is not a number stays text, and the ingestion refuses it by its row.
    try:
        return float(text) if text not in (None, "") else text
    except ValueError:
        return text


class Command(BaseCommand):
    help = "Ingest metric readings from a CSV file (device_id,metric,value,unit,timestamp)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--tenant", required=True, help="Schema of the tenant")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(schema_name=options["tenant"], ready=True).first()
        if tenant is None:
            raise CommandError(f"No ready tenant with schema {options['tenant']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            total = max(sum(1 for _ in handle) - 1, 0)
        accepted, rejected = 0, 0
        size = settings.IOT_MAX_BATCH
        with (
            path.open(newline="", encoding="utf-8-sig") as handle,
            tenant_context(tenant),
            tqdm(
                total=total, unit="readings", disable=options["no_progress"], file=sys.stderr
            ) as bar,
        ):
            reader = csv.DictReader(handle)
            missing = [
                name
                for name in ("device_id", "metric", "value", "timestamp")
                if name not in (reader.fieldnames or [])
            ]
            if missing:
                raise CommandError(f"Missing column(s): {', '.join(missing)}.")
            batch: list[dict[str, Any]] = []
            first_line = 2

            def flush() -> None:
                nonlocal accepted, rejected, first_line
                try:
                    result = readings_ingest(items=batch)
                except InvalidInput as exc:
                    raise CommandError(str(exc.errors)) from exc
                accepted += result.accepted
                rejected += len(result.rejected)
                for item in result.rejected[:50]:
                    self.stderr.write(f"line {first_line + item['index']}: {item['error']}")
                bar.update(len(batch))
                first_line += len(batch)
                batch.clear()

            for row in reader:
                item = {name: row.get(name) for name in COLUMNS if row.get(name) is not None}
                item["value"] = _number(row.get("value"))
                item.setdefault("unit", "")
                batch.append(item)
                if len(batch) >= size:
                    flush()
            if batch:
                flush()
        self.stdout.write(f"{tenant.schema_name}: {accepted} readings stored, {rejected} rejected")
        if rejected:
            sys.exit(1)
