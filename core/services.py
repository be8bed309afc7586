"""Writes on accounts and roles. Every change is audited in the tenant's schema."""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F

from core.audit import audit_record, changes_between
from core.events import close_user_feeds
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.roles import ROLE_NAMES, STAFF_ROLES, Role, role_grants
from core.writes import audited_update

USER_AUDIT_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "hourly_rate")


def roles_sync() -> dict[str, int]:
    """Make the five role groups exist in this schema with exactly their permissions.

    Safe to run any number of times; runs after every tenant migration.
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=connection.alias)
    permissions = list(Permission.objects.select_related("content_type"))
    granted: dict[str, int] = {}
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if role_grants(role, p.content_type.app_label, p.codename)]
        group.permissions.set(wanted)
        granted[role] = len(wanted)
    return granted


def _role_group(role: str) -> Group:
    if role not in ROLE_NAMES:
        raise InvalidInput({"role": [f'"{role}" is not a valid role.']})
    group = Group.objects.filter(name=role).first()
    if group is None:
        # A schema created before roles existed: heal it rather than fail the request.
        roles_sync()
        group = Group.objects.get(name=role)
    return group


def _apply_role(user: User, role: str) -> None:
    group = _role_group(role)
    user.groups.remove(*user.groups.filter(name__in=ROLE_NAMES).exclude(pk=group.pk))
    user.groups.add(group)
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])


def _user_state(user: User) -> dict[str, Any]:
    state = {name: getattr(user, name) for name in USER_AUDIT_FIELDS}
    state["role"] = user.role
    return state


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from exc


def _active_managers() -> Iterable[User]:
    return User.objects.filter(is_active=True, groups__name=Role.MANAGER)


def is_last_active_manager(user: User) -> bool:
    return user.role == Role.MANAGER and not _active_managers().exclude(pk=user.pk).exists()


def _lock_user(user: User) -> User:
    """Lock the managers (in id order, so two callers cannot deadlock), then ``user``.

    Holding every manager row is what lets the last-manager rule survive two
    managers demoting each other at the same moment.
    """
    list(
        User.objects.filter(groups__name=Role.MANAGER)
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def user_create(
    *,
    by: User | None,
    username: str,
    password: str,
    role: str = Role.VIEWER,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    hourly_rate: Any = None,
) -> User:
    """Create a person in the current tenant with one role."""
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput({"username": ["A user with that username already exists."]})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_active=is_active,
        hourly_rate=hourly_rate,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    _apply_role(user, role)
    audit_record(
        actor=by, action="user.create", obj=user, changes=changes_between({}, _user_state(user))
    )
    return user


@transaction.atomic
def user_update(*, by: User | None, user: User, **fields: Any) -> User:
    """Change a person's details, password or role.

    Refuses (409) to leave the tenant without an active manager.
    """
    user = _lock_user(user)
    was_manager, was_active = user.role == Role.MANAGER, user.is_active
    role = fields.pop("role", None)
    password = fields.pop("password", None)
    if "username" in fields and (
        User.objects.filter(username__iexact=fields["username"]).exclude(pk=user.pk).exists()
    ):
        raise InvalidInput({"username": ["A user with that username already exists."]})
    beside_fields: dict[str, dict[str, Any]] = {}
    if role is not None and role != user.role:
        beside_fields["role"] = {"before": user.role, "after": role}
    if password:
        _check_password(password, user)
        user.set_password(password)
        beside_fields["password"] = {"before": "***", "after": "*** (changed)"}
    audited_update(
        user,
        by=by,
        action="user.update",
        fields=fields,
        audited=USER_AUDIT_FIELDS,
        also_changed=beside_fields,
    )
    if role is not None:
        _apply_role(user, role)
    if was_manager and (user.role != Role.MANAGER or not user.is_active):
        _ensure_another_manager(excluding=user)
    if password or (was_active and not user.is_active):
        _end_sessions(user)
    return user


def _end_sessions(user: User) -> None:
    """Refuse every token minted for ``user`` so far and close their live feeds."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    close_user_feeds(user.pk)


@transaction.atomic
def user_sessions_end(*, by: User | None, user: User) -> None:
    """Sign ``user`` out everywhere: every access and refresh token of theirs stops working
    and their open WebSockets close. They sign in again with their password."""
    _end_sessions(user)
    audit_record(actor=by, action="user.sessions_end", obj=user, changes={})


def _ensure_another_manager(*, excluding: User) -> None:
    if not _active_managers().exclude(pk=excluding.pk).exists():
        raise Conflict("A tenant must keep at least one active manager.", "last_manager")


@transaction.atomic
def user_delete(*, by: User | None, user: User) -> None:
    """Remove a person. Their past work stays attributed by name in the audit trail."""
    if by is not None and by.pk == user.pk:
        raise Conflict("You cannot delete your own account.", "self_delete")
    user = _lock_user(user)
    if user.role == Role.MANAGER:
        _ensure_another_manager(excluding=user)
    audit_record(
        actor=by, action="user.delete", obj=user, changes=changes_between(_user_state(user), {})
    )
    close_user_feeds(user.pk)
    user.delete()
