from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yingdu.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self) -> None:
        from django.db.models import fields
        from django.utils.translation import gettext_lazy

        from yingdu.policy.services import calendar_published

        # the empty choice of a select: Django 6.1's "- Select an option -" has no Chinese translation, and Django
        # asks a project that wants another label to set it here
        fields.BLANK_CHOICE_LABEL = gettext_lazy("请选择")

        from .calendar_lifecycle import on_calendar_published

        calendar_published.connect(on_calendar_published, dispatch_uid="calendar_lifecycle")
