from django.apps import AppConfig


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = "KAM"
