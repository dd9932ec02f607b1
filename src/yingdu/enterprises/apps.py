from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "yingdu.enterprises"
    label = "enterprises"
    verbose_name = "企业登记"
