from django.urls import path

from . import admin_views

urlpatterns = [
    path("users/", admin_views.user_list, name="users"),
    path("users/<int:user_id>/", admin_views.user_detail, name="user_detail"),
    path("users/<int:user_id>/roles/", admin_views.user_role_grant, name="user_role_grant"),
    path("users/<int:user_id>/roles/<int:grant_id>/revoke/", admin_views.user_role_revoke, name="user_role_revoke"),
    path("users/<int:user_id>/<str:action>/", admin_views.user_status, name="user_status"),
]
