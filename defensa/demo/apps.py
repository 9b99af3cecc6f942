from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data of every app, loaded in dependency order. Nothing imports this app."""

    name = "defensa.demo"
    label = "demo"
    verbose_name = _("Demo data")
