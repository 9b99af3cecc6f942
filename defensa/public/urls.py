from django.urls import path

from defensa.public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("reportar/", views.report, name="report"),
    path("reportar/recibido/", views.report_received, name="report_received"),
]
