from django.apps import AppConfig


class WorksConfig(AppConfig):
    name = "yingdu.works"
    label = "works"
    verbose_name = "作品"
