from django.urls import path

from . import views

app_name = "duties"

urlpatterns = [
    path("", views.index, name="index"),
    path("proposals/<int:proposal_id>/confirm/", views.proposal_confirm, name="proposal_confirm"),
    path("proposals/<int:proposal_id>/refuse/", views.proposal_refuse, name="proposal_refuse"),
    path("recusals/new/", views.recusal_new, name="recusal_new"),
]
