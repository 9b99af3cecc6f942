from django.urls import include, path

from defensa.incidents import views

app_name = "incidents"

C = "staff/c/<uuid:committee>/incidents"
I = f"{C}/<uuid:incident>"  # noqa: E741 - the incident's own pages

urlpatterns = [
    path(f"{C}/", views.inbox, name="inbox"),
    path(f"{C}/priorities/", views.priorities, name="priorities"),
    path(f"{C}/shared/<uuid:incident>/", views.shared_detail, name="shared"),
    path(f"{I}/", views.incident_detail, name="incident"),
    path(f"{I}/merge/", views.merge, name="merge"),
    path(f"{I}/split/", views.split, name="split"),
    path(f"{I}/close/", views.close, name="close"),
    path(f"{I}/share/", views.share, name="share"),
    path("", include("defensa.incidents.dispatch_urls")),
    path("", include("defensa.incidents.field_urls")),
]
