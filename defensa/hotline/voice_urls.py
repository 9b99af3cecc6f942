"""Twilio Voice webhooks for the phone menu (kept apart from the staff pages' URLs).

Point each hotline number's voice webhook at DEFENSA_PUBLIC_URL/hooks/twilio/voice/ (POST);
the menu gives Twilio the other addresses itself.
"""

from __future__ import annotations

from django.urls import path

from defensa.hotline import voice_views

app_name = "voice"

urlpatterns = [
    path("", voice_views.incoming, name="incoming"),
    path("language/", voice_views.language, name="language"),
    path("menu/", voice_views.menu, name="menu"),
    path("choose/", voice_views.choose, name="choose"),
    path("dialed/", voice_views.dialed, name="dialed"),
    path("screen/", voice_views.screen, name="screen"),
    path("screened/", voice_views.screened, name="screened"),
    path("zip/", voice_views.zip_code, name="zip"),
    path("subscribe/", voice_views.subscribe, name="subscribe"),
    path("recorded/", voice_views.recorded, name="recorded"),
    path("recording/", voice_views.recording, name="recording"),
    path("prompt/<uuid:code>/", voice_views.prompt, name="prompt"),
]
