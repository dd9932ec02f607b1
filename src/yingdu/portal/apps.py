from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yingdu.portal"
    label = "portal"
    verbose_name = "门户"
