"""The API's filter backend: django-filter, with answers a client can rely on.

- A filter on an id that does not exist (``?asset=999``) matches nothing: an empty
  list, like any other filter that matches nothing, not a 400. A value that is not
  an id at all is still a 400.
- Times are compared in UTC: an offset PostgreSQL does not take (beyond +-15:59)
  is still a valid ISO-8601 time.
- A filter sent empty (``?start_date=``) or a yes/no filter sent anything but
  true/false is refused (400); django-filter would ignore it and answer everything.
  Text filters may be empty.
"""

import re
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import BooleanFilter, CharFilter, utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

ID = re.compile(r"-?[0-9]+")
MODEL_CHOICE_FIELDS = (forms.ModelChoiceField, forms.ModelMultipleChoiceField)
BOOLEAN_WORDS = frozenset({"true", "false", "True", "False", "1", "0"})


def _refused_values(filterset: Any, request: Request) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, filter_ in filterset.filters.items():
        if name not in request.query_params or isinstance(filter_, CharFilter):
            continue
        values = request.query_params.getlist(name)
        if any(value == "" for value in values):
            errors[name] = ["This filter may not be empty."]
        elif isinstance(filter_, BooleanFilter) and not set(values) <= BOOLEAN_WORDS:
            errors[name] = ["Must be true or false."]
    return errors


def _only_unknown_objects(form: forms.Form, request: Request) -> bool:
    """Whether every error is an id, well formed, of an object that does not exist."""
    for name, errors in form.errors.as_data().items():
        field = form.fields.get(name)
        if not isinstance(field, MODEL_CHOICE_FIELDS):
            return False
        if any(error.code != "invalid_choice" for error in errors):
            return False
        if not all(ID.fullmatch(value) for value in request.query_params.getlist(name)):
            return False
    return True


class ContractFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        refused = _refused_values(filterset, request)
        if refused:
            raise ValidationError(refused)
        if not filterset.is_valid():
            if _only_unknown_objects(filterset.form, request):
                return queryset.none()
            raise utils.translate_validation(filterset.errors)
        for name, value in filterset.form.cleaned_data.items():
            if isinstance(value, datetime) and value.tzinfo is not None:
                filterset.form.cleaned_data[name] = value.astimezone(UTC)
        return filterset.qs
