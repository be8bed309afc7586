"""One field mapping as the sync engine uses it (defaults and a connection's own)."""

from dataclasses import dataclass, field
from typing import Any

from cmms_sync.choices import Transform


@dataclass(frozen=True)
class Spec:
    external_field: str
    internal_field: str
    transform: str = Transform.NONE
    map: dict[str, Any] = field(default_factory=dict)
    required: bool = False
