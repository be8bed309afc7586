"""Bulk imports from CSV, XLSX or JSON, shared by every ``import_*`` command and the admin.

An importer validates and writes through the app's own services, so an imported
row obeys the same rules as one typed into the API. A rejected row is reported
(row number and reason) and changes nothing; the good rows land. Updates run one
row at a time, each in its own savepoint. New records an importer can check
without the database are written in batches (one insert per table per batch);
if a batch is refused, its rows are written one by one to find and name the bad
one. ``dry_run`` does all of that
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


class FlushFirst(Exception):
    """Raised by ``import_row`` when the row needs rows still waiting in the batch."""


@dataclass(frozen=True)
class Deferred:
    """Returned by ``import_row``: a new record to be written with the next batch."""

    payload: Any


REJECTIONS = (RowRejected, InvalidInput, ValidationError, Conflict, DatabaseError)


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

    # Rows ``defer_row`` takes are written this many at a time by ``write_batch``.
    batch_size: int = 500

    def defer_row(self, data: dict[str, Any]) -> Deferred | None:
        """Check a row that creates a new record and return it ``Deferred``, or None to
        have ``import_row`` handle the row. Runs outside any savepoint, so it must not
        write to (or query) the database; it may raise ``FlushFirst`` or a rejection.
        """
        return None

    def write_batch(self, payloads: list[Any]) -> list[models.Model]:
        """Create the deferred records, one per payload, in order; all or nothing."""
        raise NotImplementedError

    def batch_done(self) -> None:
        """Called after each batch, written or not (forget what was waiting)."""
        return None

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
        self._report, self._keep_outcomes = report, keep_outcomes
        self._pending: list[tuple[Row, Any]] = []
        with transaction.atomic():
            for row in self.order(rows):
                try:
                    self._import(row)
                except REJECTIONS as exc:
                    self._reject(row, exc)
                if progress:
                    progress(1)
            self._flush()
            if dry_run:
                transaction.set_rollback(True)
        report.rejected.sort(key=lambda rejected: rejected.number)
        return report

    def _reject(self, row: Row, exc: Exception) -> None:
        key = str(row.data.get(self.key_field) or "")
        self._report.rejected.append(RejectedRow(number=row.number, reason=describe(exc), key=key))

    def _done(self, row: Row, outcome: Outcome, instance: models.Model) -> None:
        self._report.count(outcome)
        if self._keep_outcomes:
            self._report.outcomes.append(RowOutcome(row.number, outcome, instance))

    def _import(self, row: Row) -> None:
        try:
            deferred = self.defer_row(row.data)
        except FlushFirst:
            self._flush()
            deferred = self.defer_row(row.data)
        if deferred is not None:
            self._pending.append((row, deferred.payload))
            if len(self._pending) >= self.batch_size:
                self._flush()
            return
        # Its own savepoint: a row refused halfway leaves nothing behind.
        with transaction.atomic():
            outcome, instance = self.import_row(row.data)
        self._done(row, outcome, instance)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            try:
                with transaction.atomic():
                    instances = self.write_batch([payload for _, payload in batch])
            except REJECTIONS:
                # One bad row spoils its batch: write them one by one to find and name it.
                for row, payload in batch:
                    try:
                        with transaction.atomic():
                            (instance,) = self.write_batch([payload])
                    except REJECTIONS as exc:
                        self._reject(row, exc)
                    else:
                        self._done(row, "created", instance)
                return
            for (row, _), instance in zip(batch, instances, strict=True):
                self._done(row, "created", instance)
        finally:
            self.batch_done()


def topological(rows: Iterable[Row], key: str, parent_key: str) -> list[Row]:
    """Rows ordered so each row's parent (by key, when in the file) comes before it.

    Level by level (rows whose parent is not in the file, then their children, ...),
    in file order within a level, so rows of one level can be written together.
    Rows in a cycle come last in file order and will be refused.
    """
    rows = list(rows)
    by_key = {str(r.data.get(key)): r for r in rows if r.data.get(key) is not None}
    children: dict[int, list[Row]] = {}
    level: list[Row] = []
    for row in rows:
        parent = by_key.get(str(row.data.get(parent_key))) if row.data.get(parent_key) else None
        if parent is None or parent is row:
            level.append(row)
        else:
            children.setdefault(parent.number, []).append(row)
    ordered: list[Row] = []
    while level:
        ordered.extend(level)
        level = sorted(
            (child for row in level for child in children.pop(row.number, [])),
            key=lambda row: row.number,
        )
    placed = {row.number for row in ordered}
    ordered.extend(row for row in rows if row.number not in placed)
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
