from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_issue, name="issue"),
    path("supplement/<int:work_id>/", views.notice_supplement, name="supplement"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>/notice.pdf", views.notice_pdf, name="pdf"),
    path("<int:notice_id>/objections/", views.objection_file, name="objection_file"),
    path("objections/<int:objection_id>/decision/", views.objection_decide, name="objection_decide"),
    path("objections/<int:objection_id>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
