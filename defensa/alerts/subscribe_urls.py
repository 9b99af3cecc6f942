"""Public pages to subscribe to alerts and stop them (no sign-in), and the PWA's files."""

from django.urls import path, re_path

from defensa.alerts import subscribe_views

app_name = "alerts_subscribe"

TOKEN = r"(?P<token>[A-Za-z0-9_-]{16,64})"  # noqa: S105 - a URL pattern, not a secret

urlpatterns = [
    path("alertas/suscribirse/", subscribe_views.subscribe, name="subscribe"),
    path("alertas/suscribirse/listo/", subscribe_views.done, name="done"),
    path("alertas/suscribirse/push/", subscribe_views.push_subscribe, name="push_subscribe"),
    path("alertas/baja/push/", subscribe_views.push_unsubscribe, name="push_unsubscribe"),
    path("alertas/suscribirse/push/renovar/", subscribe_views.push_renew, name="push_renew"),
    re_path(rf"^alertas/confirmar/{TOKEN}/$", subscribe_views.confirm, name="confirm"),
    re_path(rf"^alertas/baja/{TOKEN}/$", subscribe_views.unsubscribe, name="unsubscribe"),
    path("alertas/manifest.webmanifest", subscribe_views.manifest, name="manifest"),
    # At the root: a service worker controls only the pages under its own path.
    path("sw.js", subscribe_views.service_worker, name="service_worker"),
]
