from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "defensa.network"
    label = "network"
    verbose_name = _("Committee network")

    def ready(self) -> None:
        from defensa.network import receivers  # noqa: F401  (session bookkeeping only)
