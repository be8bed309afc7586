"""Secrets of an installation: from the environment, else made once on this machine.

A key written in the repository would let anyone who reads it sign tokens for any
tenant. Outside production (which refuses to start without them), a missing key is
generated on first use into a git-ignored file and read back on every later start,
so `make run` and `docker compose up` (which keeps the directory in a volume) each
sign with a key of their own.
"""

import os
import secrets
from pathlib import Path


def local_secret(name: str, directory: Path) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = directory / name.lower()
    if path.exists():
        return path.read_text().strip()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    candidate = directory / f".{name.lower()}.{os.getpid()}"
    candidate.write_text(secrets.token_urlsafe(48))
    candidate.chmod(0o600)
    try:
        # Atomic and exclusive: when processes start together, the first link wins and
        # every one of them reads the same key.
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return path.read_text().strip()
