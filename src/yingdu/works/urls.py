from django.urls import path

from . import views

app_name = "works"

urlpatterns = [
    path("", views.work_list, name="list"),
    path("new/", views.work_declare, name="declare"),
]
