from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yingdu.accounts"
    label = "accounts"
    verbose_name = "账户与角色"
