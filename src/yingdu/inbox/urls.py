from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:notification_id>/", views.notification_detail, name="detail"),
]
