"""Photos and documents on work orders and requests, checked for size and kind.

The kind is read from the file's first bytes, not trusted from its name or the
client's content type, so a renamed executable is not accepted as a photo.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.exceptions import InvalidInput
from core.models import User
from maintenance.models import Attachment, WorkOrder, WorkRequest
from maintenance.models.work_orders import ATTACHMENT_DIRECTORIES

SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
)
TEXT_TYPES = {".txt": "text/plain", ".csv": "text/csv"}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def sniff(upload: UploadedFile) -> str | None:
    """The content type the bytes prove, or None when the file is not an accepted kind."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, offset, content_type in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type
    name = (upload.name or "").lower()
    for suffix, content_type in TEXT_TYPES.items():
        if name.endswith(suffix):
            try:
                upload.read(settings.ATTACHMENT_MAX_BYTES + 1).decode("utf-8")
            except UnicodeDecodeError:
                return None
            finally:
                upload.seek(0)
            return content_type
    return None


def check_upload(upload: UploadedFile, *, images_only: bool = False, field: str = "file") -> str:
    if upload.size is None or upload.size == 0:
        raise InvalidInput({field: ["The file is empty."]})
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise InvalidInput({field: [f"The file is larger than {limit // (1024 * 1024)} MB."]})
    content_type = sniff(upload)
    allowed = (
        IMAGE_TYPES if images_only else IMAGE_TYPES | {"application/pdf", *TEXT_TYPES.values()}
    )
    if content_type not in allowed:
        kinds = "JPEG, PNG, GIF or WebP images" + ("" if images_only else ", PDF, text or CSV")
        raise InvalidInput({field: [f"Upload {kinds}."]})
    return content_type


@transaction.atomic
def attachment_add(
    *,
    by: User | None,
    upload: UploadedFile,
    work_order: WorkOrder | None = None,
    request: WorkRequest | None = None,
    images_only: bool = False,
) -> Attachment:
    """Store a file on a work order or request, in the tenant's own storage."""
    content_type = check_upload(upload, images_only=images_only)
    attachment = Attachment(
        work_order=work_order,
        request=request,
        name=(upload.name or "file")[-200:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=by if by is not None and by.is_authenticated else None,
    )
    attachment.file.save(attachment.name, upload, save=False)
    attachment.save()
    owner = work_order or request
    if owner is not None:
        audit_record(
            actor=by,
            action="attachment.add",
            obj=owner,
            changes={"attachment": {"before": None, "after": attachment.name}},
        )
    return attachment


@transaction.atomic
def attachment_delete(*, by: User | None, attachment: Attachment) -> None:
    owner = attachment.work_order or attachment.request
    if owner is not None:
        audit_record(
            actor=by,
            action="attachment.delete",
            obj=owner,
            changes={"attachment": {"before": attachment.name, "after": None}},
        )
    name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name), robust=True)


def _stored_files(directory: str) -> Iterator[str]:
    """Every file name below ``directory`` of this tenant's storage."""
    if not default_storage.exists(directory):
        return
    pending = [directory]
    while pending:
        current = pending.pop()
        subdirectories, files = default_storage.listdir(current)
        pending.extend(f"{current}/{name}" for name in subdirectories)
        yield from (f"{current}/{name}" for name in files)


def attachments_orphaned_sweep(*, older_than: timedelta | None = None) -> list[str]:
    """Delete this tenant's stored files that no attachment points at; returns their names.

    A file is written before its row commits, so a request that fails or rolls back
    after the upload leaves the file behind. Only files older than the grace period
    are touched, so an upload whose transaction is still open is never taken.
    """
    grace = older_than or timedelta(hours=settings.ATTACHMENT_ORPHAN_GRACE_HOURS)
    cutoff = timezone.now() - grace
    candidates = [
        name
        for directory in ATTACHMENT_DIRECTORIES
        for name in _stored_files(directory)
        if default_storage.get_modified_time(name) < cutoff
    ]
    referenced: set[str] = set()
    for start in range(0, len(candidates), 1000):
        chunk = candidates[start : start + 1000]
        referenced.update(Attachment.objects.filter(file__in=chunk).values_list("file", flat=True))
    orphans = [name for name in candidates if name not in referenced]
    for name in orphans:
        default_storage.delete(name)
    return orphans
