from django.urls import path

from . import views

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
]
