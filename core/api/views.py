from rest_framework import mixins, viewsets

from core import services
from core.api.filters import AuditEntryFilter, UserFilter
from core.api.lookups import ID_LOOKUP
from core.api.pagination import HistoryCursorPagination
from core.api.serializers import AuditEntrySerializer, UserSerializer
from core.models import AuditEntry, User


class UserViewSet(viewsets.ModelViewSet):
    """The tenant's people and their roles (managers only)."""

    queryset = User.objects.prefetch_related("groups").order_by("username")
    serializer_class = UserSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = UserFilter
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username", "email", "date_joined", "last_login"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # Seeing the user list is administration, not a read every role may do.
    action_permissions = {
        "list": ["core.view_user", "core.change_user"],
        "retrieve": ["core.view_user", "core.change_user"],
    }

    def perform_create(self, serializer: UserSerializer) -> None:
        serializer.instance = services.user_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: UserSerializer) -> None:
        serializer.instance = services.user_update(
            by=self.request.user, user=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: User) -> None:
        services.user_delete(by=self.request.user, user=instance)


class AuditLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every write made through a service, newest first (managers only)."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = AuditEntryFilter
    pagination_class = HistoryCursorPagination
    search_fields = ["object_repr", "actor_username", "action"]
    ordering_fields: list[str] = []
