from typing import Any

from cmms_sync.adapters.base import Adapter
from cmms_sync.adapters.fiix import FiixAdapter
from cmms_sync.adapters.generic_rest import GenericRestAdapter
from cmms_sync.adapters.http import VendorHttp
from cmms_sync.adapters.maintainx import MaintainXAdapter
from cmms_sync.adapters.maximo import MaximoAdapter
from cmms_sync.adapters.upkeep import UpKeepAdapter
from cmms_sync.choices import CmmsType

ADAPTERS: dict[str, type[Adapter]] = {
    CmmsType.UPKEEP: UpKeepAdapter,
    CmmsType.FIIX: FiixAdapter,
    CmmsType.MAXIMO: MaximoAdapter,
    CmmsType.MAINTAINX: MaintainXAdapter,
    CmmsType.GENERIC_REST: GenericRestAdapter,
}

# The credentials each vendor needs (write-only in the API).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    CmmsType.UPKEEP: ("email", "password"),
    CmmsType.FIIX: ("app_key", "access_key", "secret_key"),
    CmmsType.MAXIMO: ("api_key",),
    CmmsType.MAINTAINX: ("api_key",),
    CmmsType.GENERIC_REST: ("api_key",),
}


def adapter_for(
    *, cmms_type: str, api_url: str, credentials: dict[str, Any], options: dict[str, Any]
) -> Adapter:
    """An adapter for these settings, with its own guarded HTTP client (close it after)."""
    timeout = options.get("timeout_seconds")
    http = VendorHttp(
        base_url=api_url,
        timeout=float(timeout) if isinstance(timeout, int | float) and 0 < timeout <= 120 else None,
    )
    return ADAPTERS[cmms_type](api_url=api_url, credentials=credentials, options=options, http=http)
