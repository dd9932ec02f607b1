from django.urls import path

from yingdu.audits import views

app_name = "audits"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("draws/", views.draw_list, name="draw_list"),
    path("draws/<str:quarter>/", views.draw_detail, name="draw_detail"),
    path("draws/<str:quarter>/run", views.draw_confirm, name="draw_run"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/check", views.case_check, name="case_check"),
    path("cases/<int:case_id>/note", views.case_note, name="case_note"),
    path("cases/<int:case_id>/evidence", views.case_evidence, name="case_evidence"),
    path("cases/<int:case_id>/evidence/<int:evidence_id>", views.evidence_download, name="evidence_download"),
    path("cases/<int:case_id>/finding", views.case_finding, name="case_finding"),
    path("cases/<int:case_id>/review", views.finding_review, name="finding_review"),
    path("cases/<int:case_id>/response", views.case_response, name="case_response"),
]
