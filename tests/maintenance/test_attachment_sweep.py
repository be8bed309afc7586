"""Files left behind by a rolled-back upload are swept, per tenant, after a grace period."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_tenants.utils import tenant_context

from maintenance.services.attachments import attachment_add, attachments_orphaned_sweep
from maintenance.tasks import sweep_orphaned_attachments
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"0" * 100
TWO_DAYS = 2 * 24 * 3600


def _age(name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(default_storage.path(name), (then, then))


class RolledBack(Exception):
    pass


def _upload_then_roll_back(work_order) -> str:
    try:
        with transaction.atomic():
            attachment = attachment_add(
                by=None, upload=SimpleUploadedFile("lost.pdf", PDF), work_order=work_order
            )
            name = attachment.file.name
            raise RolledBack
    except RolledBack:
        return name


def test_a_rolled_back_upload_is_swept_once_old_and_kept_files_stay(alpha, beta):
    with tenant_context(beta.tenant):
        beta_name = default_storage.save("requests/same-name.pdf", ContentFile(PDF))
        _age(beta_name, TWO_DAYS)
    with tenant_context(alpha.tenant):
        work_order = WorkOrderFactory()
        orphan = _upload_then_roll_back(work_order)
        fresh_orphan = _upload_then_roll_back(work_order)
        kept = attachment_add(
            by=None, upload=SimpleUploadedFile("kept.pdf", PDF), work_order=work_order
        ).file.name
        alpha_same_name = default_storage.save("requests/same-name.pdf", ContentFile(PDF))
        for name in (orphan, kept, alpha_same_name):
            _age(name, TWO_DAYS)
        try:
            assert default_storage.exists(orphan)  # the rollback did leave it behind

            result = sweep_orphaned_attachments(run_key="sweep-1")

            assert result["deleted"] >= 2
            assert not default_storage.exists(orphan)
            assert not default_storage.exists(alpha_same_name)
            assert default_storage.exists(kept)
            assert default_storage.exists(fresh_orphan)  # inside the grace period
            # Run twice under one key (a redelivered message): the job does nothing more.
            assert sweep_orphaned_attachments(run_key="sweep-1") == {"skipped": True}
        finally:
            for name in (fresh_orphan, kept):
                default_storage.delete(name)
    with tenant_context(beta.tenant):
        try:
            # Alpha's sweep never looks into another tenant's files, same name or not.
            assert default_storage.exists(beta_name)
        finally:
            default_storage.delete(beta_name)


def test_the_grace_period_can_be_shortened(in_alpha):
    name = default_storage.save("work-orders/999/recent.pdf", ContentFile(PDF))
    _age(name, 3600)
    try:
        assert name not in attachments_orphaned_sweep()
        assert name in attachments_orphaned_sweep(older_than=timedelta(minutes=30))
        assert not default_storage.exists(name)
    finally:
        default_storage.delete(name)


def test_files_outside_the_attachment_directories_are_never_touched(in_alpha):
    name = default_storage.save("exports/report.pdf", ContentFile(PDF))
    _age(name, TWO_DAYS)
    try:
        attachments_orphaned_sweep()
        assert default_storage.exists(name)
    finally:
        default_storage.delete(name)
