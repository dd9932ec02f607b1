from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "yingdu.metering"
    label = "metering"
    verbose_name = "算力计量"
