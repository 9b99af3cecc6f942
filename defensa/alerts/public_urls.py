"""The public verified-alerts pages and feeds, under the public site (no sign-in)."""

from django.urls import path, re_path

from defensa.alerts import public_views

app_name = "alerts_public"

CODE = r"(?P<code>[A-Za-z0-9-]{1,20})"

urlpatterns = [
    path("alertas/", public_views.index, name="index"),
    path("alertas/acerca/", public_views.about, name="about"),
    path("alertas/v/", public_views.verify_form, name="verify_form"),
    re_path(rf"^alertas/v/{CODE}/$", public_views.verify_code, name="verify"),
    re_path(rf"^alertas/v/{CODE}/firma\.json$", public_views.snapshot, name="snapshot"),
    path("alertas/feed.atom", public_views.feed_atom, name="atom"),
    path("alertas/feed.json", public_views.feed_json, name="json"),
    path("alertas/cap.xml", public_views.feed_cap, name="cap"),
]
