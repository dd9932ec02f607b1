from django.urls import path

from . import views

app_name = "policy"

urlpatterns = [
    path("", views.current, name="current"),
    path("estimate/", views.estimate, name="estimate"),
    path("versions/<slug:version_id>/", views.version_detail, name="version_detail"),
    path("versions/<slug:version_id>/edit/", views.version_edit, name="version_edit"),
    path("versions/<slug:version_id>/publish/", views.version_publish, name="version_publish"),
    path("manage/", views.manage, name="manage"),
    path("manage/drafts/", views.draft_create, name="draft_create"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("calendar/publish/", views.calendar_publish, name="calendar_publish"),
]
