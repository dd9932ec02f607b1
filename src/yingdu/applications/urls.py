from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("queue/", views.application_queue, name="queue"),
    path("overdue/", views.overdue_dashboard, name="overdue"),
    path("export/queue.xlsx", views.export_queue, name="export_queue"),
    path("export/decisions.xlsx", views.export_decisions, name="export_decisions"),
    path("new/", views.application_create, name="create"),
    path("<int:application_id>/", views.application_detail, name="detail"),
    path("<int:application_id>/topup/", views.application_topup, name="topup"),
    path("<int:application_id>/materials/", views.material_upload, name="material_upload"),
    path("<int:application_id>/materials/<int:material_id>/", views.material_file, name="material_file"),
    path("<int:application_id>/supplement/answer/", views.supplement_answer, name="supplement_answer"),
    path("<int:application_id>/invoices/", views.invoice_declare, name="invoice_declare"),
    path("<int:application_id>/invoices/<int:invoice_id>/withdraw/", views.invoice_withdraw, name="invoice_withdraw"),
    path("<int:application_id>/invoices/<int:invoice_id>/file/", views.invoice_file, name="invoice_file"),
    path("<int:application_id>/notices/<slug:kind>.pdf", views.notice_download, name="notice"),
    path("<int:application_id>/<slug:action>/", views.application_transition, name="transition"),
]
