"""The public facts pages, under the public site (no sign-in)."""

from django.urls import path, re_path

from defensa.campaigns import public_views

app_name = "facts"

urlpatterns = [
    path("datos/", public_views.index, name="index"),
    re_path(
        r"^datos/exportar/(?P<table>[a-z-]{1,40})\.(?P<fmt>csv|json)$",
        public_views.export,
        name="export",
    ),
    re_path(r"^datos/(?P<state>[A-Z]{2})/$", public_views.state, name="state"),
    re_path(r"^datos/(?P<state>[A-Z]{2})/(?P<fips>[0-9]{5})/$", public_views.county, name="county"),
]
