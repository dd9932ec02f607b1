from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "yingdu.documents"
    label = "documents"
    verbose_name = "公文文号"
