"""Budgets in the tenant admin, through the budget services."""

from django.contrib import admin

from analytics import dashboard, services
from analytics.models import Budget
from core.admin_site import add_page, set_dashboard
from core.admin_tools import ServiceAdmin


@admin.register(Budget)
class BudgetAdmin(ServiceAdmin):
    sidebar_group = "Reports"
    sidebar_icon = "savings"
    sidebar_order = 30
    list_display = ("month", "asset", "work_type", "amount")
    list_filter = ("work_type", "month")
    search_fields = ("asset__asset_id", "asset__name")
    list_select_related = ("asset",)
    autocomplete_fields = ("asset",)
    fields = services.BUDGET_FIELDS

    service_fields = services.BUDGET_FIELDS
    service_object = "budget"
    service_create = staticmethod(services.budget_create)
    service_update = staticmethod(services.budget_update)
    service_delete = staticmethod(services.budget_delete)


# The admin's home page is the manager's dashboard (the platform admin keeps its own).
admin.site.index_template = "admin/analytics/dashboard.html"
set_dashboard(dashboard.build)
add_page("Reports", "Dashboard", "index", icon="dashboard", order=0)
