"""Where the MQTT broker is and how to sign in to it, from an ``mqtt://`` or ``mqtts://`` URL."""

from dataclasses import dataclass
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker_from_url(url: str) -> Broker:
    parsed = urlparse(url)
    tls = parsed.scheme in ("mqtts", "ssl")
    return Broker(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or (8883 if tls else 1883),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        tls=tls,
    )
