from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yingdu.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self) -> None:
        from yingdu.policy.services import calendar_published

        from .calendar_lifecycle import on_calendar_published

        calendar_published.connect(on_calendar_published, dispatch_uid="calendar_lifecycle")
