"""Models of the maintenance app, one module per part of the domain."""

from maintenance.models.history import MaintenanceEvent
from maintenance.models.requests import WorkRequest
from maintenance.models.schedules import (
    MaintenanceCalendar,
    PMSchedule,
    PMScheduleAsset,
    calendar_engine,
)
from maintenance.models.settings import MaintenanceSettings
from maintenance.models.templates import TemplatePart, TemplateStep, WorkOrderTemplate
from maintenance.models.work_orders import (
    Attachment,
    Comment,
    LaborEntry,
    OtherCost,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
)

__all__ = [
    "Attachment",
    "Comment",
    "LaborEntry",
    "MaintenanceCalendar",
    "MaintenanceEvent",
    "MaintenanceSettings",
    "OtherCost",
    "PMSchedule",
    "PMScheduleAsset",
    "TemplatePart",
    "TemplateStep",
    "WorkOrder",
    "WorkOrderPart",
    "WorkOrderStep",
    "WorkOrderTemplate",
    "WorkRequest",
    "calendar_engine",
]
