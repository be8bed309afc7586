"""Tables as downloads: any list of figures as CSV or XLSX, the JSON keys as the header row.

Nested objects are flattened into dotted column names (``work_orders.open``), so a
report reads the same in a spreadsheet as in JSON.
"""

import datetime
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import tablib
from django.http import HttpResponse

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = ", ".join(str(item) for item in value)
        elif isinstance(value, datetime.datetime):
            # Spreadsheets cannot hold time zones; every time here is UTC.
            flat[name] = value.astimezone(datetime.UTC).replace(tzinfo=None)
        elif isinstance(value, decimal.Decimal):
            flat[name] = float(value)
        else:
            flat[name] = value
    return flat


def table_download(rows: Iterable[Mapping[str, Any]], *, fmt: str, filename: str) -> HttpResponse:
    """``rows`` as a CSV or XLSX attachment named ``filename`` (without extension)."""
    flat = [_flat(row) for row in rows]
    headers: list[str] = []
    for row in flat:
        headers.extend(name for name in row if name not in headers)
    data = tablib.Dataset(headers=headers)
    for row in flat:
        data.append([row.get(name) for name in headers])
    content = data.export(fmt)
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
