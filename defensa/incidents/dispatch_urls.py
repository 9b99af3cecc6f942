from __future__ import annotations

from django.urls import URLPattern, path

from defensa.incidents import dispatch_views as views

I = "staff/c/<uuid:committee>/incidents/<uuid:incident>"  # noqa: E741 - an incident's pages

urlpatterns: list[URLPattern] = [
    path(f"{I}/dispatch/", views.send, name="dispatch"),
    path(f"{I}/dispatch/hand/", views.by_hand, name="dispatch_by_hand"),
    path(f"{I}/dispatch/panel/", views.panel_status, name="dispatch_panel"),
    # The link in a confirmer's message: no account, the token is the key.
    path("d/<str:token>/", views.link, name="dispatch_link"),
    path("d/<str:token>/answer/", views.link_answer, name="dispatch_link_answer"),
    path("staff/dispatches/", views.mine, name="my_dispatches"),
    path("staff/dispatches/<uuid:dispatch>/answer/", views.mine_answer, name="my_dispatch_answer"),
]
