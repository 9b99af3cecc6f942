"""Request-wide protections: no client address, strict text input, language, no caching."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from defensa.core import privacy

Handler = Callable[[HttpRequest], HttpResponse]

# Everything a server or proxy may put in the environment that names the client.
ADDRESS_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_PORT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_X_CLIENT_IP",
    "HTTP_X_CLUSTER_CLIENT_IP",
    "HTTP_FASTLY_CLIENT_IP",
    "HTTP_X_ORIGINAL_FORWARDED_FOR",
    "HTTP_VIA",
    "gunicorn.socket",
)


class ClientAddressMiddleware:
    """Replace the client's address by a keyed daily token before any other code runs.

    Nothing downstream (views, allauth's rate limits, error pages, logs) can see the address;
    code that needs to tell clients apart uses `request.client_token`.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        header = settings.DEFENSA_TRUSTED_PROXY_HEADER
        self.header = "HTTP_" + header.upper().replace("-", "_") if header else ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        source = str(meta.get(self.header, "")) if self.header else ""
        # A proxy appends the address it saw: the last entry is the one it vouches for.
        source = source.rsplit(",", 1)[-1].strip() or str(meta.get("REMOTE_ADDR", ""))
        request.client_token = privacy.client_token(source or "unknown")  # type: ignore[attr-defined]
        del source
        for key in ADDRESS_KEYS:
            meta.pop(key, None)
        if self.header:
            meta.pop(self.header, None)
        meta["REMOTE_ADDR"] = ""
        return self.get_response(request)


class LanguageMiddleware:
    """The visitor's chosen language (cookie), else the site default.

    The browser's Accept-Language is only consulted when DEFENSA_USE_BROWSER_LANGUAGE is on:
    many Spanish-first members use phones set to English.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
            if settings.DEFENSA_USE_BROWSER_LANGUAGE:
                language = translation.get_language_from_request(request) or language
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class StrictInputMiddleware:
    """Refuse query strings and text bodies that are not valid UTF-8, before anything parses them.

    Django would otherwise decode them leniently, turning bad bytes into U+FFFD.
    """

    TEXT_TYPES = ("application/x-www-form-urlencoded", "application/json", "text/")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._valid(request):
            message = _("The request contains bytes that are not valid text (UTF-8).")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            html = render_to_string("400.html", {"message": message}, request=request)
            return HttpResponseBadRequest(html)
        return self.get_response(request)

    def _valid(self, request: HttpRequest) -> bool:
        try:
            unquote_to_bytes(request.META.get("QUERY_STRING", "")).decode("utf-8")
            content_type = request.META.get("CONTENT_TYPE", "")
            if request.method in {"POST", "PUT", "PATCH", "DELETE"} and content_type.startswith(
                self.TEXT_TYPES
            ):
                body = request.body
                if content_type.startswith("application/x-www-form-urlencoded"):
                    body = unquote_to_bytes(body.replace(b"+", b" "))
                body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True


class NoStoreMiddleware:
    """Nothing we serve may linger in a shared or browser cache, unless a public page opts in."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or not response.has_header("Cache-Control"):
            if response.has_header("Cache-Control"):
                del response.headers["Cache-Control"]
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, private, max-age=0"
        return response
