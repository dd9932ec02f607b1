from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "yingdu.audits"
    label = "audits"
    verbose_name = "监督检查"
