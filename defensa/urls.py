from django.urls import include, path
from django.views.i18n import set_language

from defensa.core.api import build_api
from defensa.network import access as network_access
from defensa.network.api import router as network_router

api = build_api(viewer_for=network_access.viewer_for)
api.add_router("/v1/", network_router)

urlpatterns = [
    path("", include("defensa.public.urls")),
    path("", include("defensa.network.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
]
