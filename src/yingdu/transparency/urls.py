from django.urls import path

from . import views

app_name = "transparency"

urlpatterns = [
    path("", views.transparency_page, name="index"),
    path("entries/", views.entry_list, name="entries"),
]
