"""Twilio's webhooks for alerts: message and call status callbacks, and the key pressed on the
call that confirms a phone-call subscription."""

from django.urls import path

from defensa.alerts import status_views

app_name = "alerts_hooks"

urlpatterns = [
    path("hooks/twilio/status/", status_views.twilio_status, name="twilio_status"),
    path(
        "hooks/twilio/alerts/confirm/<uuid:code>/",
        status_views.voice_confirm,
        name="voice_confirm",
    ),
]
