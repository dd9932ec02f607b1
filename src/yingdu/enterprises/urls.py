from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("register/", views.register, name="register"),
    path("mine/", views.mine, name="mine"),
    path("<int:enterprise_id>/", views.detail, name="detail"),
    path("<int:enterprise_id>/licence/", views.licence, name="licence"),
    path("<int:enterprise_id>/<slug:action>/", views.transition, name="transition"),
]
