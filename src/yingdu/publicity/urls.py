from django.urls import path

from . import views

app_name = "publicity"

urlpatterns = [
    path("transparency/statistics/", views.statistics_page, name="statistics"),
    path("publicity/", views.publicity_page, name="publicity"),
    path("publicity/objections/", views.objections_page, name="objections"),
    path("publicity/objections/<int:objection_id>/", views.objection_decide_page, name="objection_decide"),
]
