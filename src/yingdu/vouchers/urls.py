from django.urls import path

from . import views

app_name = "vouchers"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("redemptions/", views.redemption_list, name="redemptions"),
    path("redemptions/<int:redemption_id>/confirm/", views.redemption_confirm, name="redemption_confirm"),
    path("redemptions/<int:redemption_id>/reject/", views.redemption_reject, name="redemption_reject"),
    path("codes/", views.redemption_code_create, name="code_create"),
    path("codes/<int:code_id>/revoke/", views.redemption_code_revoke, name="code_revoke"),
    path("provider/", views.provider_page, name="provider"),
    path("statements/<int:statement_id>/export.xlsx", views.statement_export, name="statement_export"),
    path("finance/", views.finance_overview, name="finance"),
    path("finance/settlements/", views.finance_settlements, name="settlements"),
    path("finance/settlements/<int:statement_id>/", views.finance_statement, name="statement"),
    path("finance/claims/", views.finance_claims, name="claims"),
    path("finance/claims/<int:claim_id>/repay/", views.finance_repayment, name="repay"),
    path("finance/revoke/<str:number>/", views.finance_revoke, name="revoke"),
    path("<str:number>/", views.voucher_detail, name="detail"),
    path("<str:number>/certificate.pdf", views.voucher_certificate, name="certificate"),
]
