from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from cmms_sync import selectors
from cmms_sync.api.filters import ConnectionFilter, FieldMappingFilter, SyncRunFilter
from cmms_sync.api.serializers import (
    ConnectionSerializer,
    ConnectionTestSerializer,
    FieldMappingSerializer,
    SyncAcceptedSerializer,
    SyncRequestSerializer,
    SyncRunSerializer,
)
from cmms_sync.choices import RunEntity
from cmms_sync.models import Connection, FieldMapping, SyncRun
from cmms_sync.services import connections, mappings, runs
from core.api.lookups import ID_LOOKUP
from core.exceptions import InvalidInput


class ConnectionViewSet(viewsets.ModelViewSet):
    """Connections to other CMMS products (UpKeep, Fiix, Maximo, MaintainX, generic REST).
    Managers write; planners and managers read. Credentials are write-only and encrypted;
    `api_url` must pass the outbound guard."""

    queryset = selectors.connection_list()
    serializer_class = ConnectionSerializer
    filterset_class = ConnectionFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["connection_name", "api_url"]
    ordering_fields = ["connection_name", "created_at", "last_synced_at"]
    ordering = ["connection_name", "id"]
    action_permissions = {"test": ["cmms_sync.change_connection"]}

    def perform_create(self, serializer: ConnectionSerializer) -> None:
        serializer.instance = connections.connection_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: ConnectionSerializer) -> None:
        serializer.instance = connections.connection_update(
            by=self.request.user, connection=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Connection) -> None:
        connections.connection_delete(by=self.request.user, connection=instance)

    @extend_schema(request=None, responses=ConnectionTestSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Check reachability and credentials: `{ok, detail}` (ok false with the reason)."""
        ok, detail = connections.connection_test(connection=self.get_object())
        return Response({"ok": ok, "detail": detail})


class FieldMappingViewSet(viewsets.ModelViewSet):
    """A connection's field mappings: each replaces the adapter's default for its internal
    field. Transforms: none, lower, upper, map (with `map`), date_ms, number."""

    queryset = selectors.field_mapping_list()
    serializer_class = FieldMappingSerializer
    filterset_class = FieldMappingFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["external_field", "internal_field"]
    ordering_fields = ["connection", "entity", "internal_field", "created_at"]
    ordering = ["connection", "entity", "internal_field", "id"]

    def perform_create(self, serializer: FieldMappingSerializer) -> None:
        serializer.instance = mappings.field_mapping_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: FieldMappingSerializer) -> None:
        serializer.instance = mappings.field_mapping_update(
            by=self.request.user, mapping=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: FieldMapping) -> None:
        mappings.field_mapping_delete(by=self.request.user, mapping=instance)


class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sync runs, newest first: status, counts (growing while it runs) and failed records."""

    queryset = selectors.run_list()
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ["created_at", "finished_at", "status"]
    ordering = ["-created_at", "-id"]


class SyncView(GenericAPIView):
    """Queue a sync of a connection: 202 `{sync_run_id}`; 409 while one is queued or
    running. Pull is incremental unless `force_sync`; `direction` defaults to the
    connection's."""

    queryset = SyncRun.objects.none()
    serializer_class = SyncRequestSerializer
    required_permissions = ["cmms_sync.sync_connection"]
    filter_backends: list = []
    pagination_class = None
    entity: str = RunEntity.ALL

    @extend_schema(request=SyncRequestSerializer, responses={202: SyncAcceptedSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = SyncRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        connection = Connection.objects.filter(pk=data["cmms_connection_id"]).first()
        if connection is None:
            raise InvalidInput({"cmms_connection_id": ["No such connection."]})
        run = runs.run_request(
            by=request.user,
            connection=connection,
            entity=self.entity,
            direction=data.get("direction"),
            force_sync=data.get("force_sync", False),
        )
        return Response({"sync_run_id": run.pk}, status=status.HTTP_202_ACCEPTED)
