from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "yingdu.vouchers"
    label = "vouchers"
    verbose_name = "算力券"
