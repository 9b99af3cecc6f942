from allauth.account import urls as account_urls
from django.urls import URLPattern, include, path
from django.views.i18n import set_language

from defensa.core import views as core_views
from defensa.core.api import build_api
from defensa.network import access as network_access
from defensa.network.api import router as network_router

api = build_api(viewer_for=network_access.viewer_for)
api.add_router("/v1/", network_router)

# Of allauth's account pages, only those that make sense without e-mail: accounts have none,
# so e-mail management, password reset by e-mail and login codes are not offered at all.
ACCOUNT_PAGES = {
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",  # shows "sign-up is closed": accounts come from invitations
    "account_reauthenticate",
    "account_change_password",
}
account_pages = [
    pattern
    for pattern in account_urls.urlpatterns
    if isinstance(pattern, URLPattern) and pattern.name in ACCOUNT_PAGES
]

urlpatterns = [
    path("", include("defensa.public.urls")),
    path("", include("defensa.network.urls")),
    path("", include("defensa.shifts.urls")),
    path("", include("defensa.hotline.urls")),
    path("hooks/twilio/voice/", include("defensa.hotline.voice_urls")),
    path("", include("defensa.incidents.urls")),
    path("", include("defensa.campaigns.urls")),
    path("", include("defensa.campaigns.public_urls")),
    path("", include("defensa.messaging.urls")),
    path("", include("defensa.alerts.delivery_urls")),
    path("", include("defensa.alerts.urls")),
    path("", include("defensa.alerts.public_urls")),
    path("", include("defensa.alerts.subscribe_urls")),
    path("accounts/", include(account_pages)),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
    path("healthz", core_views.health, name="health"),
    path(".well-known/defensa-signing-keys.json", core_views.signing_keys, name="signing_keys"),
]
