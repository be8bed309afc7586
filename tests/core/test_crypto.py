"""Secrets at rest: encrypted under the first key, readable under any, rotatable."""

import pytest
from django.test import override_settings

from core.crypto import PREFIX, DecryptionFailed, decrypt, encrypt, reencrypt

OLD, NEW = "old-key-" + "a" * 40, "new-key-" + "b" * 40


@override_settings(FIELD_ENCRYPTION_KEYS=[OLD])
def test_a_secret_is_stored_as_ciphertext_and_read_back():
    stored = encrypt("xoxb-slack-token")

    assert stored.startswith(PREFIX)
    assert "xoxb" not in stored
    assert decrypt(stored) == "xoxb-slack-token"


def test_rotation_keeps_old_values_readable_and_moves_them_to_the_new_key():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        stored = encrypt("s3cret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        assert decrypt(stored) == "s3cret"
        rotated = reencrypt(stored)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        assert decrypt(rotated) == "s3cret"
        with pytest.raises(DecryptionFailed):
            decrypt(stored)


@override_settings(FIELD_ENCRYPTION_KEYS=[NEW])
def test_values_that_are_not_ours_are_refused():
    with pytest.raises(DecryptionFailed):
        decrypt("plain text")
