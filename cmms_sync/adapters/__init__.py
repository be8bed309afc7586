"""One adapter per vendor behind one small interface (see ``adapters.base``)."""

from cmms_sync.adapters.base import Adapter, AuthRefused, Page, VendorError
from cmms_sync.adapters.registry import adapter_for

__all__ = ["Adapter", "AuthRefused", "Page", "VendorError", "adapter_for"]
