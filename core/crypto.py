"""Secrets at rest: channel tokens, webhook secrets, other CMMS products' credentials.

Values are encrypted with Fernet (AES-128-CBC with an HMAC, from the maintained
``cryptography`` library) under the keys in ``FIELD_ENCRYPTION_KEYS``: the first
encrypts, every one decrypts, so a key is rotated by putting a new one first,
running ``manage.py rotate_encrypted_fields`` (which re-encrypts every stored value
under the new key) and then dropping the old one. A key is any long random
string; each is stretched to a Fernet key with SHA-256.

``EncryptedJSONField`` stores a JSON value encrypted; the database (and a dump of
it) only ever sees ciphertext.
"""

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

PREFIX = "enc:v1:"


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


@lru_cache(maxsize=1)
def _keyring() -> MultiFernet:
    secrets = [key for key in settings.FIELD_ENCRYPTION_KEYS if key]
    if not secrets:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must name at least one key.")
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keyring.cache_clear()


class DecryptionFailed(Exception):
    """A stored value no key in FIELD_ENCRYPTION_KEYS opens (a key was dropped too early)."""


def encrypt(plain: str) -> str:
    return PREFIX + _keyring().encrypt(plain.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionFailed("The value is not an encrypted value of this product.")
    try:
        return _keyring().decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("No configured key opens this value.") from exc


def reencrypt(stored: str) -> str:
    """The same value under the newest key (for key rotation)."""
    try:
        rotated = _keyring().rotate(stored.removeprefix(PREFIX).encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionFailed("No configured key opens this value.") from exc
    return PREFIX + rotated.decode("ascii")


class EncryptedJSONField(models.TextField):
    """A JSON value kept encrypted in the database; Python code sees the plain value."""

    description = "Encrypted JSON"

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(decrypt(value))
        return value

    def value_to_string(self, obj: models.Model) -> str:
        # Dumps and fixtures never carry the plain value.
        return self.get_prep_value(self.value_from_object(obj)) or ""
