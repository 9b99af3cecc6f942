"""Staff pages of alerts (composing and approving). Other alert pages have their own modules,
included from defensa/urls.py."""

from django.urls import path

from defensa.alerts import views

app_name = "alerts"

C = "staff/c/<uuid:committee>"
A = f"{C}/alerts/<uuid:alert>"

urlpatterns = [
    path(f"{C}/alerts/", views.alert_list, name="list"),
    path(f"{C}/alerts/new/", views.new_reminder, name="new_reminder"),
    path(f"{C}/incidents/<uuid:incident>/alert/", views.compose_from_incident, name="compose"),
    path(f"{A}/", views.alert_detail, name="alert"),
    path(f"{A}/approve/", views.approve, name="approve"),
    path(f"{A}/discard/", views.discard, name="discard"),
    path(f"{A}/correct/", views.correct, name="correct"),
]
