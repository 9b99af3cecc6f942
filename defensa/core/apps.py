from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "defensa.core"
    label = "core"
    verbose_name = _("Security kernel")

    def ready(self) -> None:
        from defensa.core import checks  # noqa: F401  (registers the deployment checks)
