"""Role-based permissions: a role is a group, its rights are Django model permissions.

The same permissions drive the API and the admin, so a role means one thing
everywhere.
"""

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class RolePermission(DjangoModelPermissions):
    """Model permissions for every method, reads included (viewers get ``view_*``).

    A view can name the permissions of its extra actions in
    ``action_permissions = {"start": ["maintenance.start_workorder"]}``, or per
    method for an action that both reads and writes
    (``{"performance": {"GET": [...], "POST": [...]}}``); an action mapped to
    ``[]`` needs only an authenticated user. A view that is not about one model
    names its permissions in ``required_permissions``.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        required = getattr(view, "required_permissions", None)
        if required is not None:
            # Views that are reports rather than a model's list name what they need.
            return user.has_perms(required)
        action_permissions: dict[str, Any] = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None)
        if action in action_permissions:
            needed = action_permissions[action]
            if isinstance(needed, dict):
                method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
                if method not in needed:
                    return False
                needed = needed[method]
            return user.has_perms(needed)
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)

    def has_object_permission(self, request: Request, view: "APIView", obj: Any) -> bool:
        check = getattr(view, "check_object_role", None)
        return True if check is None else bool(check(request, obj))
