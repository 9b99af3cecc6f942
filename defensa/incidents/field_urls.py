from __future__ import annotations

from django.urls import URLPattern, path

from defensa.incidents import field_views

C = "staff/c/<uuid:committee>/incidents"
I = f"{C}/<uuid:incident>"  # noqa: E741 - the incident's own pages

urlpatterns: list[URLPattern] = [
    path("staff/dispatches/<uuid:dispatch>/finding/", field_views.finding, name="finding"),
    path(f"{I}/settle/", field_views.settle, name="settle"),
    path(f"{I}/evidence/", field_views.evidence_packet, name="evidence"),
    path(f"{C}/finding-media/<uuid:media>/", field_views.finding_media, name="finding_media"),
]
