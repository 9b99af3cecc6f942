from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "defensa.hotline"
    label = "hotline"
    verbose_name = _("Hotline")

    def ready(self) -> None:
        from defensa.hotline import routing
        from defensa.hotline.models import HotlineNumber
        from defensa.network.models import AreaUnit, Committee

        # A cache-like side effect only: remembered routes are dropped when what they
        # were worked out from changes.
        for model in (AreaUnit, Committee, HotlineNumber):
            post_save.connect(routing.forget_routes, sender=model, dispatch_uid=f"routes-{model}")
            post_delete.connect(
                routing.forget_routes, sender=model, dispatch_uid=f"routes-del-{model}"
            )
