"""The public request form behind each asset's QR code: no login, on the tenant's domain.

It shows the asset's name and nothing else about the tenant. Submissions are
rate limited per client address, per (asset, client address) and per asset; an
unknown token is a bare 404.
"""

import time

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from assets.models import Asset
from core.api.throttling import hit_counter
from core.client_address import client_address
from core.exceptions import InvalidInput
from maintenance.choices import RequestChannel
from maintenance.services import work_request_create

WINDOW_SECONDS = 3600


class ReportForm(forms.Form):
    reporter_name = forms.CharField(label="Your name", max_length=200)
    reporter_contact = forms.CharField(
        label="Phone or e-mail (optional)", max_length=200, required=False
    )
    description = forms.CharField(
        label="What is wrong?", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photo = forms.FileField(label="Photo (optional)", required=False)


def _over_limit(request: HttpRequest, asset: Asset) -> float | None:
    """Seconds to wait, when this client or this asset has sent too many reports this hour.

    The limits are counted in order and a refused report counts no further, so one
    client adds at most its per-asset allowance to the asset's count: silencing an
    asset takes more clients than the per-asset cap divided by that allowance.
    """
    slot = int(time.time() // WINDOW_SECONDS)
    address = client_address(request)
    per_pair = settings.PUBLIC_FORM_PER_CLIENT_PER_ASSET_PER_HOUR
    limits = [
        (f"publicform:addr:{address}:{slot}", settings.PUBLIC_FORM_PER_CLIENT_PER_HOUR),
        (f"publicform:pair:{asset.pk}:{address}:{slot}", per_pair),
        # Never reachable by one client alone, whatever the configuration.
        (
            f"publicform:asset:{asset.pk}:{slot}",
            max(settings.PUBLIC_FORM_PER_ASSET_PER_HOUR, per_pair + 1),
        ),
    ]
    for key, limit in limits:
        count = hit_counter(key, WINDOW_SECONDS)
        if count is not None and count > limit:
            return WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    return None


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, token: str) -> HttpResponse:
    asset = Asset.objects.filter(request_token=token).only("pk", "name").first()
    if asset is None:
        return HttpResponseNotFound("Not found", content_type="text/plain")
    context = {"asset_name": asset.name, "sent": request.GET.get("sent") == "1"}
    if request.method == "GET":
        return render(request, "maintenance/request_form.html", {**context, "form": ReportForm()})

    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "maintenance/request_form.html", {**context, "form": form}, status=400
        )
    wait = _over_limit(request, asset)
    if wait is not None:
        response = render(
            request,
            "maintenance/request_form.html",
            {**context, "form": form, "throttled": True},
            status=429,
        )
        response["Retry-After"] = str(int(wait) + 1)
        return response
    data = form.cleaned_data
    try:
        work_request_create(
            by=None,
            description=data["description"],
            asset=Asset.objects.get(pk=asset.pk),
            channel=RequestChannel.PUBLIC_FORM,
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            photos=[data["photo"]] if data.get("photo") else [],
        )
    except InvalidInput as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(
                    "photo" if field == "file" else (field if field in form.fields else None),
                    message,
                )
        return render(
            request, "maintenance/request_form.html", {**context, "form": form}, status=400
        )
    return HttpResponseRedirect(f"{request.path}?sent=1")
