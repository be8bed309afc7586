from django.db.models import QuerySet

from cmms_sync.models import Connection, FieldMapping, SyncRun


def connection_list() -> QuerySet[Connection]:
    return Connection.objects.all()


def field_mapping_list() -> QuerySet[FieldMapping]:
    return FieldMapping.objects.select_related("connection")


def run_list() -> QuerySet[SyncRun]:
    return SyncRun.objects.all()
