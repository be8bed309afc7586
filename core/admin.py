"""The tenant admin's people and audit trail. Every change goes through core.services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.http import HttpRequest
from unfold.forms import AdminPasswordChangeForm as ThemedPasswordChangeForm
from unfold.forms import UserChangeForm as ThemedUserChangeForm
from unfold.forms import UserCreationForm as ThemedUserCreationForm
from unfold.widgets import UnfoldAdminSelectWidget

from core import services
from core.admin_tools import ReadOnlyAdmin, ServiceAdmin, ThemedAdmin
from core.exceptions import Conflict, InvalidInput
from core.models import AuditEntry, JobRun, User
from core.roles import Role

__all__ = [
    "AuditEntryAdmin",
    "JobRunAdmin",
    "ReadOnlyAdmin",
    "ServiceAdmin",
    "ThemedAdmin",
    "UserAdmin",
    "hide_token_tables",
]

# Roles are fixed by the product; they are assigned on the user, not edited as groups.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


def hide_token_tables() -> None:
    """Refresh tokens are credentials: whoever reads one takes over that session. The
    blacklist app's admin lists every user's, so its tables stay out of the admin.

    Called once every app's admin module is loaded (the blacklist app registers late).
    """
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    for model in (OutstandingToken, BlacklistedToken):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


class RoleChoiceMixin(forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices, initial=Role.VIEWER, widget=UnfoldAdminSelectWidget
    )


class UserAddForm(RoleChoiceMixin, ThemedUserCreationForm, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserEditForm(RoleChoiceMixin, ThemedUserChangeForm):
    class Meta(ThemedUserChangeForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "is_active", "hourly_rate")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.role

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        leaves_managers = data.get("role") != Role.MANAGER or not data.get("is_active", True)
        if self.instance.pk and leaves_managers and services.is_last_active_manager(self.instance):
            raise forms.ValidationError("A tenant must keep at least one active manager.")
        return data


class PasswordChangeForm(ThemedPasswordChangeForm):
    """A new password set in the admin ends the person's sessions, as through the API."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            services.user_sessions_end(by=None, user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ThemedAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "group"
    sidebar_order = 10
    form = UserEditForm
    add_form = UserAddForm
    change_password_form = PasswordChangeForm
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role_display",
        "is_active",
        "last_login",
    )
    list_filter = ("is_active", "groups")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "hourly_rate")}),
        ("Access", {"fields": ("role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role")
    def role_display(self, obj: User) -> str:
        return obj.role or "-"

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            if change:
                fields = {name: data[name] for name in services.USER_AUDIT_FIELDS if name in data}
                saved = services.user_update(by=request.user, user=obj, role=data["role"], **fields)
            else:
                saved = services.user_create(
                    by=request.user,
                    username=data["username"],
                    email=data.get("email", ""),
                    password=data["password1"],
                    role=data["role"],
                )
        except (Conflict, InvalidInput) as exc:
            # The admin's forms already validated; what is left is a rule such as "last manager".
            self.message_user(request, str(getattr(exc, "detail", exc)), messages.ERROR)
            return
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        # Groups are the role, set by the service; there is nothing else to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        try:
            services.user_delete(by=request.user, user=obj)
        except Conflict as exc:
            self.message_user(request, exc.detail, messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            self.delete_model(request, user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    sidebar_group = "Reports"
    sidebar_icon = "history"
    list_display = (
        "created_at",
        "actor_username",
        "action",
        "object_type",
        "object_repr",
        "request_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_username", "object_id", "request_id")
    date_hierarchy = "created_at"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    sidebar_icon = "schedule"
    list_display = ("name", "run_key", "started_at", "finished_at")
    list_filter = ("name",)
