from django.urls import path

from defensa.shifts import views

app_name = "shifts"

C = "staff/c/<uuid:committee>/shifts"

urlpatterns = [
    path(f"{C}/", views.schedule, name="schedule"),
    path(f"{C}/setup/", views.setup, name="setup"),
    path(f"{C}/templates/", views.add_template, name="add_template"),
    path(f"{C}/templates/<uuid:template>/blocks/", views.add_block, name="add_block"),
    path(f"{C}/blocks/<uuid:block>/remove/", views.remove_block, name="remove_block"),
    path(f"{C}/limits/", views.set_limits, name="set_limits"),
    path(f"{C}/slots/<uuid:slot>/sign-up/", views.sign_up, name="sign_up"),
    path(f"{C}/slots/<uuid:slot>/assign/", views.assign, name="assign"),
    path(f"{C}/slots/<uuid:slot>/offer/", views.offer, name="offer"),
    path(f"{C}/assignments/<uuid:assignment>/cancel/", views.cancel, name="cancel"),
    path(f"{C}/assignments/<uuid:assignment>/call/", views.set_call, name="set_call"),
    path(f"{C}/now/", views.on_now, name="now"),
    path(f"{C}/load/", views.load, name="load"),
    path(f"{C}/handover/", views.handover, name="handover"),
    path("staff/shifts/", views.mine, name="mine"),
    path("staff/shifts/calendar/", views.calendar_create, name="calendar_create"),
    path("staff/shifts/calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("shifts/calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
