from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "yingdu.inbox"
    label = "inbox"
    verbose_name = "消息"

    def ready(self) -> None:
        from yingdu.transparency.services import entries_appended

        from .derive import on_entries_appended

        entries_appended.connect(on_entries_appended, dispatch_uid="yingdu.inbox.derive")
