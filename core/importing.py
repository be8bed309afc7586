"""Bulk imports from CSV, XLSX or JSON, shared by every ``import_*`` command and the admin.

An importer validates and writes one row at a time through the app's own
services, so an imported row obeys the same rules as one typed into the API.
Each row runs in its own savepoint: a rejected row is reported (row number and
reason) and changes nothing, the good rows land. ``dry_run`` does all of that
and rolls the whole file back. Importers match rows to existing records by a
natural key, so running the same file twice updates instead of duplicating.
"""

import io
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from import_export.resources import ModelResource
from import_export.results import Result, RowResult

from core.exceptions import Conflict, InvalidInput, describe
from core.models import User

Outcome = Literal["created", "updated", "unchanged"]
FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}


class RowRejected(Exception):
    """A row that cannot be imported, with the reason a person can act on."""


@dataclass(frozen=True)
class Row:
    number: int
    data: dict[str, Any]


@dataclass(frozen=True)
class RejectedRow:
    number: int
    reason: str
    key: str = ""


@dataclass(frozen=True)
class RowOutcome:
    number: int
    outcome: Outcome
    instance: models.Model


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> str:
        prefix = "Dry run (nothing saved): " if self.dry_run else ""
        ignored = (
            f"; ignored columns: {', '.join(self.ignored_columns)}" if self.ignored_columns else ""
        )
        return (
            f"{prefix}{self.total} rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected{ignored}"
        )


def _clean_key(key: Any) -> str:
    return str(key).strip().lower().replace(" ", "_")


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value if value != "" else None
    return value


def rows_from_dataset(dataset: tablib.Dataset, *, first_row: int = 2) -> list[Row]:
    headers = [_clean_key(h) for h in (dataset.headers or [])]
    return [
        Row(
            number=index + first_row,
            data={h: _clean_value(v) for h, v in zip(headers, values, strict=False) if h},
        )
        for index, values in enumerate(dataset)
    ]


def read_rows(path: Path) -> list[Row]:
    """Rows of a CSV, XLSX or JSON file; numbers are what a person sees (CSV header = row 1)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(
            {"file": [f"Unsupported file type {suffix or '(none)'}; use CSV, XLSX or JSON."]}
        )
    try:
        if suffix == ".json":
            records = json.loads(path.read_text(encoding="utf-8-sig"))
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise InvalidInput({"file": ["A JSON import is a list of objects."]})
            return [
                Row(
                    number=index + 1,
                    data={_clean_key(k): _clean_value(v) for k, v in record.items()},
                )
                for index, record in enumerate(records)
            ]
        if suffix == ".xlsx":
            dataset = tablib.Dataset().load(io.BytesIO(path.read_bytes()), format="xlsx")
        else:
            dataset = tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise InvalidInput({"file": [f"The file could not be read: {exc}"]}) from exc
    return rows_from_dataset(dataset)


class Importer(ABC):
    """One kind of record to import. Subclasses say how to key, order and write a row."""

    key_field: str = ""
    # Columns the importer understands; others are reported as ignored, not fatal.
    columns: frozenset[str] = frozenset()

    def __init__(self, *, by: User | None = None) -> None:
        self.by = by

    def order(self, rows: list[Row]) -> list[Row]:
        """The order to import in (e.g. parents before children); default: file order."""
        return rows

    @abstractmethod
    def import_row(self, data: dict[str, Any]) -> tuple[Outcome, models.Model]:
        """Create or update the record of one row through the app's services."""

    def run(
        self,
        rows: list[Row],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        keep_outcomes: bool = False,
    ) -> ImportReport:
        report = ImportReport(total=len(rows), dry_run=dry_run)
        seen_columns = {column for row in rows for column in row.data}
        report.ignored_columns = sorted(seen_columns - self.columns) if self.columns else []
        with transaction.atomic():
            for row in self.order(rows):
                key = str(row.data.get(self.key_field) or "")
                try:
                    with transaction.atomic():
                        outcome, instance = self.import_row(row.data)
                except (RowRejected, InvalidInput, ValidationError, Conflict, DatabaseError) as exc:
                    report.rejected.append(
                        RejectedRow(number=row.number, reason=describe(exc), key=key)
                    )
                else:
                    report.count(outcome)
                    if keep_outcomes:
                        report.outcomes.append(RowOutcome(row.number, outcome, instance))
                if progress:
                    progress(1)
            if dry_run:
                transaction.set_rollback(True)
        report.rejected.sort(key=lambda rejected: rejected.number)
        return report


def topological(rows: Iterable[Row], key: str, parent_key: str) -> list[Row]:
    """Rows ordered so each row's parent (by key, when in the file) comes before it.

    Rows in a cycle keep their file order and will be refused by the service.
    """
    rows = list(rows)
    by_key = {str(r.data.get(key)): r for r in rows if r.data.get(key) is not None}
    ordered: list[Row] = []
    state: dict[int, int] = {}  # 1 = visiting, 2 = done

    for start in rows:
        stack = [start]
        while stack:
            row = stack[-1]
            if state.get(row.number) == 2:
                stack.pop()
                continue
            state[row.number] = 1
            parent = by_key.get(str(row.data.get(parent_key))) if row.data.get(parent_key) else None
            if parent is not None and state.get(parent.number) is None:
                stack.append(parent)
                continue
            state[row.number] = 2
            ordered.append(row)
            stack.pop()
    return ordered


class ImporterResource(ModelResource):
    """django-import-export resource whose imports run through an ``Importer``.

    The admin's import screens (preview, confirm) then apply exactly the rules
    of the command line and the API; exports use the same column names, so an
    exported file imports back unchanged.
    """

    importer_class: type[Importer]

    def import_data(self, dataset: tablib.Dataset, dry_run: bool = False, **kwargs: Any) -> Result:
        result = Result()
        result.diff_headers = [_clean_key(h) for h in (dataset.headers or [])]
        rows = rows_from_dataset(dataset)
        report = self.importer_class(by=kwargs.get("user")).run(
            rows, dry_run=dry_run, keep_outcomes=True
        )
        kinds = {
            "created": RowResult.IMPORT_TYPE_NEW,
            "updated": RowResult.IMPORT_TYPE_UPDATE,
            "unchanged": RowResult.IMPORT_TYPE_SKIP,
        }
        for done in report.outcomes:
            row_result = RowResult()
            row_result.import_type = kinds[done.outcome]
            row_result.instance = done.instance
            row_result.add_instance_info(done.instance)
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        by_number = {row.number: row.data for row in rows}
        for rejected in report.rejected:
            error = ValidationError({NON_FIELD_ERRORS: [rejected.reason]})
            result.append_invalid_row(rejected.number, by_number.get(rejected.number, {}), error)
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        result.total_rows = report.total
        return result
