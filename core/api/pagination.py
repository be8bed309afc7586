"""Pages of a list: numbered pages, or cursors for trails and time series.

``?page_size=`` must be a whole number from 1 up (capped at 500): anything else is a
400, not silently the default page size.
"""

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request


def _document_bounds(
    parameters: list[dict[str, Any]], param: str, most: int
) -> list[dict[str, Any]]:
    for parameter in parameters:
        if parameter["name"] == param:
            # Larger asks are served `most` per page, not refused: no documented maximum.
            parameter["schema"] = {**parameter["schema"], "minimum": 1}
            parameter["description"] = f"Results per page, from 1 (at most {most} are sent)."
    return parameters


def _page_size(request: Request, param: str, default: int | None, most: int) -> int | None:
    raw = request.query_params.get(param)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError({param: ["A whole number from 1 up."]})
    return min(int(raw), most)


class StandardPagination(PageNumberPagination):
    """``{count, next, previous, results}``; ``?page_size=`` up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _document_bounds(
            super().get_schema_operation_parameters(view),
            self.page_size_query_param,
            self.max_page_size,
        )

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) == "":
            # Not "the first page": a page number sent empty is as invalid as any other.
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().get_page_number(request, paginator)


class HistoryCursorPagination(CursorPagination):
    """Newest first and stable while rows are being added; for trails and time series."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-created_at", "-id")

    def get_page_size(self, request: Request) -> Any:
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _document_bounds(
            super().get_schema_operation_parameters(view),
            self.page_size_query_param,
            self.max_page_size,
        )
