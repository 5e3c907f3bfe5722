from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = _("Mission diary")

    def ready(self):
        from . import signals

        signals.connect()
