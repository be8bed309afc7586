from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.lookups import ID_LOOKUP
from core.api.pagination import HistoryCursorPagination
from core.api.parsers import JSONParser
from core.roles import Role
from maintenance import selectors, services
from maintenance.api.filters import HistoryFilter, WorkOrderFilter, WorkRequestFilter
from maintenance.api.serializers import (
    ApproveSerializer,
    AssignSerializer,
    AttachmentSerializer,
    CancelSerializer,
    CommentSerializer,
    CompleteSerializer,
    FromTemplateSerializer,
    HoldSerializer,
    LaborEntrySerializer,
    MaintenanceEventSerializer,
    OtherCostSerializer,
    PlannedPartSerializer,
    RejectSerializer,
    StatusSerializer,
    StepInputSerializer,
    StepRecordSerializer,
    StepSerializer,
    UploadSerializer,
    WorkOrderCreateSerializer,
    WorkOrderPartSerializer,
    WorkOrderSerializer,
    WorkOrderTemplateSerializer,
    WorkRequestSerializer,
)
from maintenance.choices import Status
from maintenance.models import Attachment, WorkOrder, WorkOrderStep, WorkOrderTemplate, WorkRequest
from maintenance.services.attachments import SIGNATURES, TEXT_TYPES

# What an attachment can be: its type is proven by its content when it is uploaded.
FILE_TYPES = sorted({content_type for _, _, content_type in SIGNATURES} | set(TEXT_TYPES.values()))

STATUS_PERMISSIONS = {
    Status.SCHEDULED: "maintenance.change_workorder",
    Status.IN_PROGRESS: "maintenance.start_workorder",
    Status.ON_HOLD: "maintenance.start_workorder",
    Status.COMPLETED: "maintenance.complete_workorder",
    Status.CANCELLED: "maintenance.cancel_workorder",
    Status.OPEN: "maintenance.change_workorder",
}


def _perms(model: str) -> dict[str, list[str]]:
    return {"GET": [f"maintenance.view_{model}"], "POST": [f"maintenance.add_{model}"]}


def _body(
    serializer_class: type[serializers.Serializer], request: Request, **context: Any
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WorkOrderViewSet(viewsets.ModelViewSet):
    """Work orders. Technicians read all of them but change only those assigned to them."""

    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["number", "title"]
    ordering_fields = [
        "created_at",
        "updated_at",
        "due_at",
        "completed_at",
        "priority_rank",
        "status",
        "number",
    ]
    ordering = ["-created_at", "-id"]
    action_permissions = {
        "assign": ["maintenance.assign_workorder"],
        "start": ["maintenance.start_workorder"],
        "hold": ["maintenance.start_workorder"],
        "complete": ["maintenance.complete_workorder"],
        "cancel": ["maintenance.cancel_workorder"],
        "set_status": ["maintenance.view_workorder"],
        "from_template": ["maintenance.add_workorder"],
        "steps": _perms("workorderstep"),
        "step_detail": {
            "PATCH": ["maintenance.change_workorderstep"],
            "DELETE": ["maintenance.delete_workorderstep"],
        },
        "parts": _perms("workorderpart"),
        "labor": _perms("laborentry"),
        "costs": _perms("othercost"),
        "comments": _perms("comment"),
        "attachments": _perms("attachment"),
    }

    def get_queryset(self) -> QuerySet[WorkOrder]:
        # Nested routes (attachments, comments) look the work order up here too, so an
        # invisible one answers the same 404 as a missing one.
        return selectors.work_orders_visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return WorkOrderCreateSerializer if self.action == "create" else WorkOrderSerializer

    def check_object_role(self, request: Request, work_order: WorkOrder) -> bool:
        if request.method in SAFE_METHODS or self.action == "comments":
            return True
        if request.user.role == Role.TECHNICIAN:
            return work_order.assigned_to_id == request.user.pk
        return True

    def _fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in {"steps", "parts", "assigned_to"}}

    def perform_create(self, serializer: WorkOrderCreateSerializer) -> None:
        data = dict(serializer.validated_data)
        assignee = data.get("assigned_to")
        if assignee is not None and not self.request.user.has_perm("maintenance.assign_workorder"):
            raise PermissionDenied("You may not assign work.")
        serializer.instance = services.work_order_create(
            by=self.request.user,
            steps=data.get("steps", []),
            parts=data.get("parts", []),
            assigned_to=assignee,
            **self._fields(data),
        )

    def perform_update(self, serializer: WorkOrderSerializer) -> None:
        data = dict(serializer.validated_data)
        work_order = serializer.instance
        if (
            "requested_by" in data
            and data["requested_by"] != work_order.requested_by
            and self.request.user.role not in (Role.MANAGER, Role.PLANNER)
        ):
            raise PermissionDenied("Only planners and managers may change requested_by.")
        if "assigned_to" in data and data["assigned_to"] != work_order.assigned_to:
            if not self.request.user.has_perm("maintenance.assign_workorder"):
                raise PermissionDenied("You may not reassign work.")
            work_order = services.work_order_assign(
                by=self.request.user, work_order=work_order, assigned_to=data["assigned_to"]
            )
        fields = self._fields(data)
        if fields.get("stops_asset") is None:
            fields.pop("stops_asset", None)
        serializer.instance = services.work_order_update(
            by=self.request.user, work_order=work_order, **fields
        )

    def perform_destroy(self, instance: WorkOrder) -> None:
        services.work_order_delete(by=self.request.user, work_order=instance)

    def _detail(self, work_order: WorkOrder) -> Response:
        return Response(
            WorkOrderSerializer(
                self.get_queryset().get(pk=work_order.pk), context=self.get_serializer_context()
            ).data
        )

    @extend_schema(request=AssignSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Give the work to a technician, planner or manager; they get an event and an e-mail."""
        data = _body(AssignSerializer, request)
        return self._detail(
            services.work_order_assign(by=request.user, work_order=self.get_object(), **data)
        )

    @extend_schema(request=None, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        """open or scheduled -> in_progress; on_hold -> in_progress (resume). 409 otherwise."""
        return self._detail(
            services.work_order_start(by=request.user, work_order=self.get_object())
        )

    @extend_schema(request=HoldSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str) -> Response:
        """in_progress -> on_hold. 409 otherwise."""
        data = _body(HoldSerializer, request)
        return self._detail(
            services.work_order_hold(by=request.user, work_order=self.get_object(), **data)
        )

    @extend_schema(request=CompleteSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """in_progress -> completed. Parts used are taken from stock in the same transaction:
        if any is short, 409 ``insufficient_stock`` and nothing changes."""
        data = _body(CompleteSerializer, request)
        uses = [
            services.PartUse(
                part_id=line["part"].pk,
                quantity=line["quantity"],
                location_id=line["location"].pk if line.get("location") else None,
            )
            for line in data.pop("parts_used", [])
        ]
        work_order = services.work_order_complete(
            by=request.user, work_order=self.get_object(), parts_used=uses, **data
        )
        return self._detail(work_order)

    @extend_schema(request=CancelSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Any status but completed or cancelled -> cancelled."""
        data = _body(CancelSerializer, request)
        return self._detail(
            services.work_order_cancel(by=request.user, work_order=self.get_object(), **data)
        )

    @extend_schema(request=StatusSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["put"], url_path="status")
    def set_status(self, request: Request, pk: str) -> Response:
        """Move to a status, under the same rules as the actions (409 for an illegal move)."""
        data = _body(StatusSerializer, request)
        if not request.user.has_perm(STATUS_PERMISSIONS[data["status"]]):
            raise PermissionDenied("You may not move work orders to this status.")
        work_order = services.work_order_transition(
            by=request.user,
            work_order=self.get_object(),
            to_status=data["status"],
            reason=data["reason"],
        )
        return self._detail(work_order)

    @extend_schema(request=FromTemplateSerializer, responses={201: WorkOrderSerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request) -> Response:
        """A work order with a template's checklist and planned parts."""
        data = _body(FromTemplateSerializer, request)
        assignee = data.pop("assigned_to", None)
        if assignee is not None and not request.user.has_perm("maintenance.assign_workorder"):
            raise PermissionDenied("You may not assign work.")
        template = data.pop("template")
        work_order = services.work_order_from_template(
            by=request.user,
            template=template,
            asset=data.pop("asset_id", None),
            assigned_to=assignee,
            **data,
        )
        return Response(self._detail(work_order).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=StepSerializer(many=True))
    @extend_schema(methods=["POST"], request=StepInputSerializer, responses={201: StepSerializer})
    @action(detail=True, methods=["get", "post"])
    def steps(self, request: Request, pk: str) -> Response:
        """The checklist, in order."""
        work_order = self.get_object()
        if request.method == "GET":
            return Response(
                StepSerializer(work_order.steps.select_related("done_by"), many=True).data
            )
        step = services.step_add(
            by=request.user, work_order=work_order, **_body(StepInputSerializer, request)
        )
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["PATCH"], request=StepRecordSerializer, responses=StepSerializer)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"steps/(?P<step_id>[0-9]{1,18})")
    def step_detail(self, request: Request, pk: str, step_id: str) -> Response:
        """Record a step's result (pass / fail / n_a, a number, text, a reading) or remove it."""
        work_order = self.get_object()
        step = get_object_or_404(WorkOrderStep, pk=step_id, work_order=work_order)
        if request.method == "DELETE":
            services.step_delete(by=request.user, step=step)
            return Response(status=status.HTTP_204_NO_CONTENT)
        step = services.step_record(
            by=request.user, step=step, **_body(StepRecordSerializer, request)
        )
        return Response(StepSerializer(step).data)

    @extend_schema(methods=["GET"], responses=WorkOrderPartSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=PlannedPartSerializer, responses={201: WorkOrderPartSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def parts(self, request: Request, pk: str) -> Response:
        """Parts planned and used (used quantities and costs come from the stock ledger)."""
        work_order = self.get_object()
        if request.method == "GET":
            return Response(
                WorkOrderPartSerializer(work_order.parts.select_related("part"), many=True).data
            )
        line = services.work_order_part_plan(
            by=request.user, work_order=work_order, **_body(PlannedPartSerializer, request)
        )
        return Response(WorkOrderPartSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=LaborEntrySerializer(many=True))
    @extend_schema(
        methods=["POST"], request=LaborEntrySerializer, responses={201: LaborEntrySerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def labor(self, request: Request, pk: str) -> Response:
        """Time booked on the work order; the rate defaults to the person's, then the tenant's."""
        work_order = self.get_object()
        if request.method == "GET":
            return Response(LaborEntrySerializer(work_order.labor.all(), many=True).data)
        data = _body(LaborEntrySerializer, request)
        data.setdefault("technician", request.user)
        if data["technician"] != request.user and request.user.role == Role.TECHNICIAN:
            raise PermissionDenied("Technicians book their own time.")
        entry = services.labor_add(by=request.user, work_order=work_order, **data)
        return Response(LaborEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=OtherCostSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=OtherCostSerializer, responses={201: OtherCostSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def costs(self, request: Request, pk: str) -> Response:
        """Costs that are neither labor nor stocked parts (contractors, rentals, ...)."""
        work_order = self.get_object()
        if request.method == "GET":
            return Response(OtherCostSerializer(work_order.other_costs.all(), many=True).data)
        cost = services.other_cost_add(
            by=request.user, work_order=work_order, **_body(OtherCostSerializer, request)
        )
        return Response(OtherCostSerializer(cost).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str) -> Response:
        work_order = self.get_object()
        if request.method == "GET":
            return Response(
                CommentSerializer(work_order.comments.select_related("author"), many=True).data
            )
        comment = services.comment_add(
            by=request.user, work_order=work_order, **_body(CommentSerializer, request)
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": UploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self, request: Request, pk: str) -> Response:
        """Photos and documents (JPEG, PNG, GIF, WebP, PDF, text, CSV; 10 MB at most)."""
        work_order = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(work_order.attachments.all(), many=True).data)
        data = _body(UploadSerializer, request)
        attachment = services.attachment_add(
            by=request.user, upload=data["file"], work_order=work_order
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class WorkRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Problems reported by anyone; requesters see only their own."""

    serializer_class = WorkRequestSerializer
    filterset_class = WorkRequestFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "status"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        "approve": ["maintenance.review_workrequest"],
        "reject": ["maintenance.review_workrequest"],
        "photos": {"POST": ["maintenance.add_workrequest"]},
    }

    def get_queryset(self) -> QuerySet[WorkRequest]:
        return selectors.work_requests_visible_to(self.request.user)

    def perform_create(self, serializer: WorkRequestSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.work_request_create(
            by=self.request.user, photos=self.request.FILES.getlist("photos"), **data
        )

    @extend_schema(request=ApproveSerializer, responses={201: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Make a work order that keeps the request's text, photos and a link back (409 if
        the request was already reviewed)."""
        data = _body(ApproveSerializer, request)
        assignee = data.pop("assigned_to", None)
        work_order = services.work_request_approve(
            by=request.user, request=self.get_object(), **data
        )
        if assignee is not None:
            work_order = services.work_order_assign(
                by=request.user, work_order=work_order, assigned_to=assignee
            )
        fresh = selectors.work_order_list().get(pk=work_order.pk)
        return Response(WorkOrderSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RejectSerializer, responses=WorkRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Decline with a reason; the requester is told."""
        data = _body(RejectSerializer, request)
        work_request = services.work_request_reject(
            by=request.user, request=self.get_object(), **data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=work_request.pk)).data)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, pk: str) -> Response:
        """Add a photo to a request (images only, 10 MB at most)."""
        work_request = self.get_object()
        data = _body(UploadSerializer, request)
        photo = services.attachment_add(
            by=request.user, upload=data["file"], request=work_request, images_only=True
        )
        return Response(AttachmentSerializer(photo).data, status=status.HTTP_201_CREATED)


class WorkOrderTemplateViewSet(viewsets.ModelViewSet):
    """Reusable jobs: checklist steps, parts, estimated hours and cost."""

    queryset = WorkOrderTemplate.objects.prefetch_related("steps", "parts")
    serializer_class = WorkOrderTemplateSerializer
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    filterset_fields = ["work_type", "active"]

    def perform_create(self, serializer: WorkOrderTemplateSerializer) -> None:
        serializer.instance = services.template_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: WorkOrderTemplateSerializer) -> None:
        serializer.instance = services.template_update(
            by=self.request.user, template=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: WorkOrderTemplate) -> None:
        services.template_delete(by=self.request.user, template=instance)


class AttachmentDownloadView(generics.GenericAPIView):
    """The file itself, for whoever may see what it is attached to."""

    queryset = Attachment.objects.select_related("work_order", "request")
    serializer_class = AttachmentSerializer

    @extend_schema(
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in FILE_TYPES}
    )
    def get(self, request: Request, pk: str) -> FileResponse:
        attachment = get_object_or_404(self.get_queryset(), pk=pk)
        user = request.user
        visible = (
            attachment.work_order_id is not None
            and selectors.work_orders_visible_to(user).filter(pk=attachment.work_order_id).exists()
        ) or (
            attachment.request_id is not None
            and selectors.work_requests_visible_to(user).filter(pk=attachment.request_id).exists()
        )
        if not visible:
            # Like a missing file: its id says nothing about work one may not see.
            raise Http404
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{attachment.name.replace(chr(34), "")}"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def get_permissions(self) -> list[Any]:
        from rest_framework.permissions import IsAuthenticated

        return [IsAuthenticated()]


class MaintenanceHistoryView(generics.ListAPIView):
    """Every activity on an asset (or everywhere), newest first:
    work orders created, assigned, started, completed, parts used, readings, alerts."""

    serializer_class = MaintenanceEventSerializer
    filterset_class = HistoryFilter
    pagination_class = HistoryCursorPagination
    ordering_fields: list[str] = []
    search_fields: list[str] = []

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.asset_history()

    def paginate_queryset(self, queryset: QuerySet[Any]) -> Any:
        self.paginator.ordering = ("-occurred_at", "-id")
        return super().paginate_queryset(queryset)
