from django.urls import path

from defensa.alerts import status_views

urlpatterns = [
    path("hooks/twilio/status/", status_views.twilio_status, name="twilio_status"),
]
