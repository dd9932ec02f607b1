from django.urls import path

from . import monitor_views, views

app_name = "metering"

urlpatterns = [
    path("provider/", views.provider_portal, name="provider"),
    path("provider/api-keys/", views.api_key_create, name="api_key_create"),
    path("provider/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("provider/signing-keys/", views.signing_key_add, name="signing_key_add"),
    path("provider/signing-keys/<int:key_id>/revoke/", views.signing_key_revoke, name="signing_key_revoke"),
    path("provider/prices/", views.price_add, name="price_add"),
    path("provider/upload/", views.csv_upload, name="csv_upload"),
    path("usage/", views.enterprise_usage, name="usage"),
    path("usage/live/", views.enterprise_usage_live, name="usage_live"),
    path("usage/records/", views.usage_records, name="records"),
    path("usage/records/export.xlsx", views.usage_records_export, name="records_export"),
    path("monitor/", monitor_views.monitor_dashboard, name="monitor"),
    path("monitor/live/", monitor_views.monitor_live, name="monitor_live"),
    path("monitor/anomalies/", monitor_views.monitor_anomalies, name="monitor_anomalies"),
    path("records/<int:record_pk>/", monitor_views.record_detail, name="record"),
    path("quarantine/", monitor_views.quarantine_list, name="quarantine"),
    path("quarantine/<int:record_pk>/attach/", monitor_views.quarantine_attach, name="quarantine_attach"),
    path("providers/", monitor_views.providers_admin, name="providers"),
]
