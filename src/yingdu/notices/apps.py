from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "yingdu.notices"
    label = "notices"
    verbose_name = "数据告知与异议"
