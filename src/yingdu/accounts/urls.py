from django.urls import path

from . import admin_urls, views, views_oidc, views_self

app_name = "accounts"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/recovery/", views_self.two_factor_recovery, name="two_factor_recovery"),
    path("2fa/recovery-codes/", views_self.recovery_codes, name="recovery_codes"),
    path("2fa/reenrol/", views_self.two_factor_reenrol, name="two_factor_reenrol"),
    path("2fa/reset/", views_self.two_factor_reset_view, name="two_factor_reset"),
    path("password/", views_self.password_change, name="password_change"),
    path("password/reset/", views_self.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password/reset/sent/", views_self.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views_self.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", views_self.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("profile/", views_self.profile, name="profile"),
    path("oidc/authenticate/", views_oidc.oidc_authenticate, name="oidc_authenticate"),
    path("oidc/callback/", views_oidc.oidc_callback, name="oidc_callback"),
    path("oidc/link/", views_oidc.oidc_link, name="oidc_link"),
]

# the admin page of users and roles
urlpatterns += admin_urls.urlpatterns
