from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "yingdu.applications"
    label = "applications"
    verbose_name = "补贴申请"
