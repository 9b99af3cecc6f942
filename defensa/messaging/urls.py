from django.urls import path

from defensa.messaging import views

app_name = "messaging"

urlpatterns = [
    path("hooks/twilio/sms/", views.twilio_message, name="twilio_sms"),
]
