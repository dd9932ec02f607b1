from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "yingdu.duties"
    label = "duties"
    verbose_name = "职责分离"
