from django.urls import path

from . import views

app_name = "works"

urlpatterns = [
    path("", views.work_list, name="list"),
    path("new/", views.work_declare, name="declare"),
    path("<int:work_id>/", views.work_detail, name="detail"),
    path("<int:work_id>/details/", views.work_details_record, name="details"),
    path("<int:work_id>/releases/", views.release_record, name="release"),
    path("<int:work_id>/distributions/", views.distribution_record, name="distribution"),
    path("<int:work_id>/files/<slug:kind>/<int:row_id>/", views.work_file, name="file"),
]
