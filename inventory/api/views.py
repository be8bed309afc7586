"""Inventory endpoints. Thin: selectors read, services write, serializers validate."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import filters, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filtering import ContractFilterBackend
from core.api.lookups import ID_LOOKUP
from core.api.pagination import HistoryCursorPagination, StandardPagination
from core.reactions import dispatch
from inventory import selectors
from inventory.api.filters import (
    PartFilter,
    PurchaseOrderFilter,
    StockLevelFilter,
    StockLocationFilter,
    StockMovementFilter,
    VendorFilter,
)
from inventory.api.serializers import (
    PartAdjustSerializer,
    PartRestockSerializer,
    PartReturnSerializer,
    PartsConsumeResultSerializer,
    PartsConsumeSerializer,
    PartSerializer,
    PartStockResultSerializer,
    PartTransferSerializer,
    PartUsageSerializer,
    PurchaseOrderCancelSerializer,
    PurchaseOrderReceiveResultSerializer,
    PurchaseOrderReceiveSerializer,
    PurchaseOrderSerializer,
    ReorderSuggestionSerializer,
    StockLevelSerializer,
    StockLocationSerializer,
    StockMovementSerializer,
    VendorSerializer,
)
from inventory.events import StockMovingForWorkOrder
from inventory.models import Part, PurchaseOrder, StockLocation, StockMovement, Vendor
from inventory.services import catalog, purchasing, stock

CONFLICT = OpenApiResponse(
    response=inline_serializer(
        "InventoryConflict", {"detail": serializers.CharField(), "code": serializers.CharField()}
    ),
    description="State conflict, e.g. `insufficient_stock`, `illegal_transition`, "
    "`over_receipt`, `over_return`, `protected`.",
)


def _booking_on(request: Request, work_order_id: int | None) -> int | None:
    """The work order stock moves for, once its keeper has agreed this person may book on it."""
    if work_order_id is not None:
        dispatch(StockMovingForWorkOrder(work_order_id=work_order_id, by=request.user))
    return work_order_id


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class PartViewSet(viewsets.ModelViewSet):
    """Spare parts, their stock by location, and the stock operations.

    Usage without a `location` takes from the part's default location first,
    then from its other locations with the most stock first, splitting the
    quantity over several locations when one does not hold enough; it answers
    409 `insufficient_stock` only when the part's total on hand is short.
    """

    serializer_class = PartSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = PartFilter
    search_fields = ["part_number", "name", "description", "category"]
    ordering_fields = [
        "part_number",
        "name",
        "category",
        "quantity_on_hand",
        "reorder_point",
        "unit_cost",
        "created_at",
        "updated_at",
    ]
    action_permissions = {
        "low_stock": ["inventory.view_part"],
        "history": ["inventory.view_part", "inventory.view_stockmovement"],
        "usage": ["inventory.record_usage"],
        "consume": ["inventory.record_usage"],
        "return_parts": ["inventory.record_usage"],
        "restock": ["inventory.restock_part"],
        "adjust": ["inventory.adjust_stock"],
        "transfer": ["inventory.transfer_stock"],
    }

    def get_queryset(self) -> QuerySet:
        if self.action == "history":
            # What the history action lists (its filters and the schema are the ledger's).
            return selectors.movement_list()
        return selectors.part_list()

    def _fresh(self, part: Part) -> Part:
        return selectors.part_list().get(pk=part.pk)

    def perform_create(self, serializer: PartSerializer) -> None:
        part = catalog.part_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = self._fresh(part)

    def perform_update(self, serializer: PartSerializer) -> None:
        part = catalog.part_update(
            part=serializer.instance, by=self.request.user, **serializer.validated_data
        )
        serializer.instance = self._fresh(part)

    def perform_destroy(self, instance: Part) -> None:
        catalog.part_delete(part=instance, by=self.request.user)

    def _stock_result(self, part: Part, movements: list[StockMovement]) -> Response:
        result = {"part": self._fresh(part), "movements": movements}
        return Response(PartStockResultSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=PartSerializer(many=True))
    @action(detail=False, url_path="low-stock", pagination_class=StandardPagination)
    def low_stock(self, request: Request) -> Response:
        """Active parts whose quantity on hand is at or below their reorder point."""
        queryset = self.filter_queryset(selectors.low_stock_parts())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PartSerializer(page, many=True).data)

    @extend_schema(
        request=PartUsageSerializer,
        responses={201: PartStockResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def usage(self, request: Request, pk: str | None = None) -> Response:
        """Record parts used (issued), e.g. on a work order.

        With `location`, the parts come from that location only. Without it, from
        the part's default location first, then from its other locations with the
        most stock first (ties by location id), split over several locations when
        needed: one `issue` movement per location, each with its unit and total
        cost. 409 `insufficient_stock` when there is not enough (at the location,
        or in total), and nothing changes.
        """
        part = self.get_object()
        body = _validated(PartUsageSerializer, request)
        movements = stock.part_usage_record(
            part=part,
            quantity=body["quantity"],
            by=request.user,
            location=body["location"],
            work_order_id=_booking_on(request, body["work_order"]),
            reference=body["reference"],
            notes=body["notes"],
        )
        return self._stock_result(part, movements)

    @extend_schema(
        request=PartsConsumeSerializer,
        responses={201: PartsConsumeResultSerializer, 409: CONFLICT},
    )
    @action(detail=False, methods=["post"])
    def consume(self, request: Request) -> Response:
        """Take several parts at once, all or nothing; 409 names every short part."""
        body = _validated(PartsConsumeSerializer, request)
        movements = stock.parts_consume(
            lines=[
                stock.ConsumeLine(
                    part_id=line["part"].pk,
                    quantity=line["quantity"],
                    location_id=line["location"].pk if line["location"] else None,
                )
                for line in body["lines"]
            ],
            by=request.user,
            reference=body["reference"],
            work_order_id=_booking_on(request, body["work_order"]),
            notes=body["notes"],
        )
        total = sum((movement.total_cost for movement in movements), Decimal("0"))
        return Response(
            PartsConsumeResultSerializer({"movements": movements, "total_cost": total}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=PartReturnSerializer,
        responses={201: PartStockResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_parts(self, request: Request, pk: str | None = None) -> Response:
        """Put unused parts back into stock."""
        part = self.get_object()
        body = _validated(PartReturnSerializer, request)
        movement = stock.part_return(
            part=part,
            quantity=body["quantity"],
            by=request.user,
            location=body["location"],
            work_order_id=_booking_on(request, body["work_order"]),
            reference=body["reference"],
            notes=body["notes"],
        )
        return self._stock_result(part, [movement])

    @extend_schema(request=PartRestockSerializer, responses={201: PartStockResultSerializer})
    @action(detail=True, methods=["post"])
    def restock(self, request: Request, pk: str | None = None) -> Response:
        """Receive stock; `unit_cost` updates the moving-average cost."""
        part = self.get_object()
        body = _validated(PartRestockSerializer, request)
        movement = stock.part_restock(part=part, by=request.user, **body)
        return self._stock_result(part, [movement])

    @extend_schema(
        request=PartAdjustSerializer,
        responses={201: PartStockResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        """Correct the stock at one location by `delta`, or to the `counted` level."""
        part = self.get_object()
        body = _validated(PartAdjustSerializer, request)
        movement = stock.part_adjust(part=part, by=request.user, **body)
        return self._stock_result(part, [movement])

    @extend_schema(
        request=PartTransferSerializer,
        responses={201: PartStockResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        """Move stock from one location to another."""
        part = self.get_object()
        body = _validated(PartTransferSerializer, request)
        movements = stock.part_transfer(part=part, by=request.user, **body)
        return self._stock_result(part, movements)

    @extend_schema(responses=StockMovementSerializer(many=True))
    @action(
        detail=True,
        pagination_class=HistoryCursorPagination,
        filterset_class=StockMovementFilter,
        filter_backends=[ContractFilterBackend],
    )
    def history(self, request: Request, pk: str | None = None) -> Response:
        """The part's ledger, newest first; filter by `kind` and `created_after`/`created_before`
        (or one `date`)."""
        part = self.get_object()
        queryset = self.filter_queryset(selectors.part_history(part))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StockMovementSerializer(page, many=True).data)

    def get_object(self) -> Part:
        # Filters of the list (or of the history) must not hide the object itself, and the
        # actions lock and re-read the part anyway: only retrieve needs the annotated list.
        queryset = self.get_queryset() if self.action == "retrieve" else Part.objects.all()
        obj = get_object_or_404(queryset, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj


class StockLocationViewSet(viewsets.ModelViewSet):
    """Storerooms, bins, vans: the places stock is kept."""

    serializer_class = StockLocationSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = StockLocationFilter
    search_fields = ["code", "name", "description"]
    ordering_fields = ["code", "name", "kind", "created_at"]

    def get_queryset(self) -> QuerySet[StockLocation]:
        return selectors.stock_location_list()

    def perform_create(self, serializer: StockLocationSerializer) -> None:
        serializer.instance = catalog.stock_location_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: StockLocationSerializer) -> None:
        serializer.instance = catalog.stock_location_update(
            location=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: StockLocation) -> None:
        catalog.stock_location_delete(location=instance, by=self.request.user)


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock of each part at each location (written only by the stock operations)."""

    serializer_class = StockLevelSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = StockLevelFilter
    search_fields = ["part__part_number", "part__name", "location__code"]
    ordering_fields = ["quantity", "updated_at", "part", "location"]

    def get_queryset(self) -> QuerySet:
        return selectors.stock_level_list()


class StockMovementViewSet(viewsets.ReadOnlyModelViewSet):
    """The whole ledger, newest first (read only: stock changes through the part actions)."""

    serializer_class = StockMovementSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = StockMovementFilter
    pagination_class = HistoryCursorPagination
    filter_backends = [ContractFilterBackend, filters.SearchFilter]
    search_fields = ["reference", "notes", "part__part_number"]

    def get_queryset(self) -> QuerySet[StockMovement]:
        return selectors.movement_list()


class VendorViewSet(viewsets.ModelViewSet):
    """Suppliers of parts."""

    serializer_class = VendorSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = VendorFilter
    search_fields = ["name", "contact_name", "email", "phone"]
    ordering_fields = ["name", "lead_time_days", "created_at"]

    def get_queryset(self) -> QuerySet[Vendor]:
        return selectors.vendor_list()

    def perform_create(self, serializer: VendorSerializer) -> None:
        serializer.instance = catalog.vendor_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: VendorSerializer) -> None:
        serializer.instance = catalog.vendor_update(
            vendor=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: Vendor) -> None:
        catalog.vendor_delete(vendor=instance, by=self.request.user)


def _order_lines(rows: list[dict[str, Any]]) -> list[purchasing.OrderLine]:
    return [
        purchasing.OrderLine(
            part=row["part"],
            quantity=row["quantity"],
            unit_cost=row.get("unit_cost"),
            location=row.get("location"),
            notes=row.get("notes", ""),
        )
        for row in rows
    ]


class PurchaseOrderViewSet(viewsets.ModelViewSet):
    """Purchase orders: draft -> approved -> ordered -> partially received -> received,
    or cancelled. Receiving adds stock through the ledger."""

    serializer_class = PurchaseOrderSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = PurchaseOrderFilter
    search_fields = ["number", "vendor__name", "reference", "notes"]
    ordering_fields = ["number", "status", "expected_at", "created_at", "updated_at"]
    action_permissions = {
        "approve": ["inventory.approve_purchaseorder"],
        "order": ["inventory.change_purchaseorder"],
        "cancel": ["inventory.change_purchaseorder"],
        "receive": ["inventory.receive_purchaseorder"],
        "suggest_reorders": ["inventory.add_purchaseorder"],
    }

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        return selectors.purchase_order_list()

    def _fresh(self, purchase_order: PurchaseOrder) -> PurchaseOrder:
        return selectors.purchase_order_list().get(pk=purchase_order.pk)

    def perform_create(self, serializer: PurchaseOrderSerializer) -> None:
        data = dict(serializer.validated_data)
        lines = _order_lines(data.pop("lines", []))
        purchase_order = purchasing.purchase_order_create(by=self.request.user, lines=lines, **data)
        serializer.instance = self._fresh(purchase_order)

    def perform_update(self, serializer: PurchaseOrderSerializer) -> None:
        data = dict(serializer.validated_data)
        lines = _order_lines(data.pop("lines")) if "lines" in data else None
        purchase_order = purchasing.purchase_order_update(
            purchase_order=serializer.instance, by=self.request.user, lines=lines, **data
        )
        serializer.instance = self._fresh(purchase_order)

    def perform_destroy(self, instance: PurchaseOrder) -> None:
        purchasing.purchase_order_delete(purchase_order=instance, by=self.request.user)

    def _respond(self, purchase_order: PurchaseOrder) -> Response:
        return Response(PurchaseOrderSerializer(self._fresh(purchase_order)).data)

    @extend_schema(request=None, responses={200: PurchaseOrderSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft (it needs at least one line)."""
        return self._respond(
            purchasing.purchase_order_approve(purchase_order=self.get_object(), by=request.user)
        )

    @extend_schema(request=None, responses={200: PurchaseOrderSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def order(self, request: Request, pk: str | None = None) -> Response:
        """Mark an approved order as sent to the vendor."""
        return self._respond(
            purchasing.purchase_order_mark_ordered(
                purchase_order=self.get_object(), by=request.user
            )
        )

    @extend_schema(
        request=PurchaseOrderCancelSerializer,
        responses={200: PurchaseOrderSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an order not yet fully received (received stock stays)."""
        body = _validated(PurchaseOrderCancelSerializer, request)
        return self._respond(
            purchasing.purchase_order_cancel(
                purchase_order=self.get_object(), by=request.user, reason=body["reason"]
            )
        )

    @extend_schema(
        request=PurchaseOrderReceiveSerializer,
        responses={201: PurchaseOrderReceiveResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """Receive all or part of the lines into stock (no `lines`: everything outstanding)."""
        purchase_order = self.get_object()
        body = _validated(PurchaseOrderReceiveSerializer, request)
        lines = [
            stock.ReceiveLine(
                line_id=row["line"],
                quantity=row["quantity"],
                location_id=row["location"].pk if row["location"] else None,
            )
            for row in body.get("lines") or []
        ]
        movements = purchasing.purchase_order_receive(
            purchase_order=purchase_order,
            by=request.user,
            lines=lines or None,
            reference=body["reference"],
            notes=body["notes"],
        )
        result = {"purchase_order": self._fresh(purchase_order), "movements": movements}
        return Response(
            PurchaseOrderReceiveResultSerializer(result).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=None, responses={200: ReorderSuggestionSerializer, 201: ReorderSuggestionSerializer}
    )
    @action(detail=False, methods=["post"], url_path="suggest-reorders")
    def suggest_reorders(self, request: Request) -> Response:
        """Draft one purchase order per preferred vendor for every part at or below its
        reorder point (counting what is already on order). 201 when it drafted any."""
        suggestion = purchasing.purchase_orders_suggest(by=request.user)
        data = ReorderSuggestionSerializer(
            {
                "purchase_orders": [self._fresh(po) for po in suggestion.purchase_orders],
                "parts_without_vendor": [part.pk for part in suggestion.parts_without_vendor],
            }
        ).data
        code = status.HTTP_201_CREATED if suggestion.purchase_orders else status.HTTP_200_OK
        return Response(data, status=code)
