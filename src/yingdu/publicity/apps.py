from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "yingdu.publicity"
    label = "publicity"
    verbose_name = "公开统计与公示"
