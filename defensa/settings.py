"""Defensa settings: one module, driven by environment variables (see `.env.example`).

Zero configuration runs the local demo on SQLite: secrets are then generated once into the
git-ignored data directory. With DEFENSA_PRODUCTION=1 every secret must come from the
environment (or a *_FILE), HTTPS protections are on, and nothing is generated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from defensa import env

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

PRODUCTION = env.flag("DEFENSA_PRODUCTION")
DATA_DIR = Path(env.text("DEFENSA_DATA_DIR") or BASE_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret(name: str, filename: str, make: str) -> str:
    value = env.secret(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) is required in production")
    return env.local_secret(DATA_DIR, filename, make)


SECRET_KEY = _secret("DEFENSA_SECRET_KEY", "secret_key", "token")
# Master keys wrap the per-committee data keys: "id:base64key[,id:base64key...]", newest first.
DEFENSA_MASTER_KEYS = _secret("DEFENSA_MASTER_KEYS", "master_keys", "master-key")
# Ids of master keys whose derived signing keys no longer verify anything (a signing key
# exposed while its master key must stay to unwrap data keys); published as revoked.
DEFENSA_REVOKED_SIGNING_KEYS = env.items("DEFENSA_REVOKED_SIGNING_KEYS")

DEBUG = env.flag("DEFENSA_DEBUG")
ALLOWED_HOSTS = env.items("DEFENSA_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env.items("DEFENSA_CSRF_TRUSTED_ORIGINS")
DEFENSA_SITE_NAME = env.text("DEFENSA_SITE_NAME", "Defensa")

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's passkey list uses it
    "django_htmx",
    "js_lib_leaflet",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "ninja",
    "defensa.core",
    "defensa.network",
    "defensa.messaging",
    "defensa.shifts",
    "defensa.hotline",
    "defensa.incidents",
    "defensa.alerts",
    "defensa.campaigns",
    "defensa.public",
    "defensa.demo",
]

MIDDLEWARE = [
    # First: the client address is replaced by a keyed daily token before anything can see it.
    "defensa.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "defensa.core.middleware.LanguageMiddleware",
    "defensa.core.middleware.StrictInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "defensa.network.middleware.SecondFactorGuardMiddleware",
    "defensa.core.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "defensa.urls"
WSGI_APPLICATION = "defensa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "defensa.core.context_processors.site",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------

DATABASES = {
    "default": env.database(
        env.secret("DEFENSA_DATABASE_URL") or "", sqlite_path=DATA_DIR / "defensa.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.secret("DEFENSA_REDIS_URL") or ""
# "limits" holds the rate limiters' per-client state (core.ratelimit): a flood from many
# addresses makes one entry each, and must not push anything else out of the cache.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    _redis: dict[str, Any] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.text("DEFENSA_CACHE_PREFIX", "defensa"),
    }
    CACHES = {"default": _redis, "limits": _redis}
else:
    # Memory only: rate-limit counters and the daily client-token secret never touch disk.
    # Django's default of 300 entries would be full within a second of a flood.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
        "limits": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "limits",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }

TASKS_BACKEND = env.text("DEFENSA_TASKS_BACKEND", "rq" if REDIS_URL else "db")
if TASKS_BACKEND == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("DEFENSA_TASKS_BACKEND=rq needs DEFENSA_REDIS_URL")
TASKS = {
    "default": {
        "BACKEND": {
            "db": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}

# --- Accounts and sessions --------------------------------------------------------------------

AUTH_USER_MODEL = "network.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "network:dashboard"

ACCOUNT_ADAPTER = "defensa.network.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_EMAIL_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_REDIRECT_URL = "public:home"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_ADAPTER = "defensa.network.adapters.MFAAdapter"
# Passkeys and TOTP only: never SMS or email codes (they are phishable and leak to carriers).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = DEFENSA_SITE_NAME
MFA_FORMS = {
    "add_webauthn": "defensa.network.forms.AddPasskeyForm",
    "edit_webauthn": "defensa.network.forms.EditPasskeyForm",
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.integer("DEFENSA_SESSION_HOURS", default=12, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Gone when the browser closes: a reporter's phone keeps no year-long cookie from the site.
CSRF_COOKIE_AGE = None

HTTPS = env.flag("DEFENSA_HTTPS", default=PRODUCTION)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.flag("DEFENSA_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env.flag("DEFENSA_HSTS_PRELOAD", default=True)
if env.flag("DEFENSA_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# "no-referrer" would make browsers send "Origin: null" on our own form posts (CSRF fails);
# same-origin still tells other sites nothing.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Channels to members (each is off until its variables are set) ----------------------------

# The address people and providers reach this site at; webhook signatures are checked against it.
DEFENSA_PUBLIC_URL = env.text("DEFENSA_PUBLIC_URL", "http://127.0.0.1:8000")
DEFENSA_TWILIO_ACCOUNT_SID = env.text("DEFENSA_TWILIO_ACCOUNT_SID")
DEFENSA_TWILIO_AUTH_TOKEN = env.secret("DEFENSA_TWILIO_AUTH_TOKEN") or ""
# The sending number (E.164) or a messaging service id (MG...).
DEFENSA_TWILIO_FROM = env.text("DEFENSA_TWILIO_FROM")
DEFENSA_TWILIO_API_URL = env.text("DEFENSA_TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
# A signal-cli daemon's JSON-RPC endpoint, e.g. http://127.0.0.1:8080/api/v1/rpc, and its number.
DEFENSA_SIGNAL_RPC_URL = env.text("DEFENSA_SIGNAL_RPC_URL")
DEFENSA_SIGNAL_ACCOUNT = env.text("DEFENSA_SIGNAL_ACCOUNT")
# E-mail to members who chose it: smtp://user:password@host:587 (STARTTLS) or smtps://...:465.
DEFENSA_EMAIL_FROM = env.text("DEFENSA_EMAIL_FROM")
_smtp = env.smtp(env.secret("DEFENSA_SMTP_URL") or "")
if _smtp:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _smtp["host"], _smtp["port"]
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp["user"], _smtp["password"]
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp["tls"], _smtp["ssl"]
    EMAIL_TIMEOUT = 20
else:
    # Nothing is sent by e-mail until SMTP is configured.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Apps that answer messages members send (SMS replies, Signal): first to recognise one wins.
# What runs once a report is stored or learns more (its place): the incidents app groups it.
DEFENSA_REPORT_HANDLERS = ["defensa.incidents.tasks.report_received"]
DEFENSA_INBOUND_HANDLERS = [
    "defensa.shifts.inbound.handle",
    "defensa.incidents.inbound.handle",
    "defensa.alerts.keywords.handle",  # ALERTA 60623, and STOP from alert subscribers
    "defensa.hotline.inbound.handle",
]

# --- Requests ---------------------------------------------------------------------------------

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# The address of a proxy in front of us is never the client's; with a trusted proxy the token is
# derived from the address it reports instead (the raw value is discarded either way).
DEFENSA_TRUSTED_PROXY_HEADER = env.text("DEFENSA_TRUSTED_PROXY_HEADER")

# --- Language and time ------------------------------------------------------------------------

LANGUAGE_CODE = env.text("DEFENSA_LANGUAGE", "es")
LANGUAGES = [("es", "Español"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("DEFENSA_LANGUAGE must be one of: es, en")
# Whether a browser's Accept-Language may choose the language before the visitor picks one.
# Off by default: many Spanish-first members use phones set to English.
DEFENSA_USE_BROWSER_LANGUAGE = env.flag("DEFENSA_USE_BROWSER_LANGUAGE")
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Languages members may list as spoken (beyond the interface languages).
DEFENSA_SPOKEN_LANGUAGES = [
    ("es", _("Spanish")),
    ("en", _("English")),
    ("ht", _("Haitian Creole")),
    ("pt", _("Portuguese")),
    ("quc", _("K'iche'")),
    ("mam", _("Mam")),
    ("kjb", _("Q'anjob'al")),
    ("mix", _("Mixtec")),
    ("zap", _("Zapotec")),
    ("yua", _("Yucatec Maya")),
    # Read from messages with Mayan spelling (q', tz', ch') when the language is not told.
    ("myn", _("A Mayan language")),
    ("fr", _("French")),
    ("other", _("Another language")),
]

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.flag("DEFENSA_STATIC_MANIFEST", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Keys and retention -----------------------------------------------------------------------

# Days a reporter's optional callback contact stays readable before its data key is destroyed.
DEFENSA_CONTACT_RETENTION_DAYS = env.integer("DEFENSA_CONTACT_RETENTION_DAYS", default=7, minimum=1)
# Days after the end of its month that what a report says stays readable (then its key goes).
DEFENSA_REPORT_RETENTION_DAYS = env.integer("DEFENSA_REPORT_RETENTION_DAYS", default=365, minimum=1)
# Days past shifts (and who was on them) are kept before they are deleted.
DEFENSA_SHIFT_RETENTION_DAYS = env.integer("DEFENSA_SHIFT_RETENTION_DAYS", default=60, minimum=1)
# Lifetime of an issued invitation code.
DEFENSA_INVITATION_DAYS = env.integer("DEFENSA_INVITATION_DAYS", default=7, minimum=1)

# --- Maps and places --------------------------------------------------------------------------

# A Nominatim-compatible geocoder (ideally self-hosted), e.g. http://127.0.0.1:8088. Empty:
# places are located by their ZIP code from the offline table only.
DEFENSA_GEOCODER_URL = env.text("DEFENSA_GEOCODER_URL")
# Map tiles for the report form's pin, e.g. https://tiles.example.org/{z}/{x}/{y}.png. Empty:
# no map (the form works without one). Its host is added to the page's image policy.
DEFENSA_MAP_TILE_URL = env.text("DEFENSA_MAP_TILE_URL")
DEFENSA_MAP_ATTRIBUTION = env.text("DEFENSA_MAP_ATTRIBUTION")

# --- Flood protection for anonymous intake ---------------------------------------------------

# Web reports per client token: a burst, then this many a minute.
DEFENSA_REPORT_BURST = env.integer("DEFENSA_REPORT_BURST", default=10, minimum=1)
DEFENSA_REPORT_PER_MINUTE = env.integer("DEFENSA_REPORT_PER_MINUTE", default=4, minimum=1)
# Messages per sender (SMS, WhatsApp, Signal), the same way.
DEFENSA_MESSAGE_BURST = env.integer("DEFENSA_MESSAGE_BURST", default=20, minimum=1)
DEFENSA_MESSAGE_PER_MINUTE = env.integer("DEFENSA_MESSAGE_PER_MINUTE", default=10, minimum=1)
# Proof-of-work bits asked of the web form once this many attempts came in the last two
# minutes (site-wide): (attempts, bits), in increasing order. Calm: no work at all.
DEFENSA_POW_LEVELS = [(120, 10), (600, 14), (3000, 16)]

# --- Hotline: phone menu ---------------------------------------------------------------------

# Seconds the on-shift dispatchers' phones ring before the backups', then voicemail.
DEFENSA_HOTLINE_RING_SECONDS = env.integer("DEFENSA_HOTLINE_RING_SECONDS", default=20, minimum=5)
# Longest voicemail a caller may leave.
DEFENSA_VOICEMAIL_SECONDS = env.integer("DEFENSA_VOICEMAIL_SECONDS", default=180, minimum=30)
# Where option 3 of the phone menu reads verified alerts from: a function
# (zip_code: str, language: str) -> list[str]. The alerts app plugs in here.
DEFENSA_VERIFIED_ALERTS_FOR_ZIP = "defensa.hotline.voice.no_verified_alerts"
# After reading them, option 3 offers calls for new alerts in that ZIP code through this
# function (number: str, zip_code: str, language: str, hotline: str) -> str ("calling",
# "hidden" or "refused"); empty: no offer. The alerts app plugs in here.
DEFENSA_VOICE_SUBSCRIBE = ""

# --- Hotline: text conversations ---------------------------------------------------------------

# Minutes an SMS/WhatsApp/Signal conversation keeps adding to the same report.
DEFENSA_CONVERSATION_MINUTES = env.integer("DEFENSA_CONVERSATION_MINUTES", default=120, minimum=10)

# --- Incidents: dispatch ---------------------------------------------------------------------

# Minutes a confirmer has to answer a request to go and look before the next one is asked.
DEFENSA_DISPATCH_ANSWER_MINUTES = env.integer(
    "DEFENSA_DISPATCH_ANSWER_MINUTES", default=5, minimum=1
)
# How many confirmers one dispatch sends: two at least, never one alone.
DEFENSA_DISPATCH_CONFIRMERS = env.integer("DEFENSA_DISPATCH_CONFIRMERS", default=2, minimum=2)

# --- Campaigns --------------------------------------------------------------------------------

# Largest public-data file (ICE workbooks, facility lists) a coordinator may upload, in MB.
DEFENSA_CAMPAIGN_UPLOAD_BYTES = (
    env.integer("DEFENSA_CAMPAIGN_UPLOAD_MB", default=16, minimum=1) * 1024 * 1024
)

# Sections drawn on an incident's page, in order: (request, viewer, incident) -> panel.
DEFENSA_INCIDENT_PANELS = [
    "defensa.incidents.dispatch_views.panel",
    "defensa.incidents.field_views.panel",
    "defensa.alerts.views.panel",
]

# --- Alerts: composing and approving -----------------------------------------------------------

# Option 3 of the phone menu reads the current verified alerts for the caller's ZIP code.
DEFENSA_VERIFIED_ALERTS_FOR_ZIP = "defensa.alerts.voice.verified_alerts_for_zip"
DEFENSA_VOICE_SUBSCRIBE = "defensa.alerts.voice.subscribe_caller"

# --- Alerts: subscriptions ---------------------------------------------------------------------

# Days an e-mail confirmation link stays valid (nothing is sent to the address before).
DEFENSA_SUBSCRIBE_CONFIRM_DAYS = env.integer("DEFENSA_SUBSCRIBE_CONFIRM_DAYS", default=3, minimum=1)
# Sign-ups from the public page per connection (a token bucket keyed by the client token).
DEFENSA_SUBSCRIBE_PER_MINUTE = env.integer("DEFENSA_SUBSCRIBE_PER_MINUTE", default=6, minimum=1)
DEFENSA_SUBSCRIBE_BURST = env.integer("DEFENSA_SUBSCRIBE_BURST", default=10, minimum=1)

# --- Alerts: delivery --------------------------------------------------------------------------

# Messages per second each sender may hand to Twilio, shared by every worker (US long code 1,
# toll-free 3, short code 100 or more); WhatsApp senders and outgoing calls have their own.
DEFENSA_SMS_PER_SECOND = env.integer("DEFENSA_SMS_PER_SECOND", default=1, minimum=1)
DEFENSA_WHATSAPP_PER_SECOND = env.integer("DEFENSA_WHATSAPP_PER_SECOND", default=20, minimum=1)
DEFENSA_VOICE_CALLS_PER_SECOND = env.integer("DEFENSA_VOICE_CALLS_PER_SECOND", default=1, minimum=1)
# The WhatsApp sender (E.164, or a messaging service MG...) and the number alert calls come
# from (the SMS sender when empty). WhatsApp is off until its sender is set.
DEFENSA_TWILIO_WHATSAPP_FROM = env.text("DEFENSA_TWILIO_WHATSAPP_FROM")
DEFENSA_TWILIO_VOICE_FROM = env.text("DEFENSA_TWILIO_VOICE_FROM")
# Hosts of the push services browsers use; web push posts to no other host.
DEFENSA_PUSH_SERVICE_HOSTS = env.items(
    "DEFENSA_PUSH_SERVICE_HOSTS",
    "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
)
# Who push services can contact about our traffic (RFC 8292 "sub"): mailto: or https: URL.
DEFENSA_VAPID_SUBJECT = env.text("DEFENSA_VAPID_SUBJECT") or DEFENSA_PUBLIC_URL
# Where the VAPID key pair comes from (a module with private_key() and public_key_b64url()).
DEFENSA_PUSH_VAPID_KEYS = "defensa.alerts.push_keys"
# The secret the VAPID key is derived from; browsers' subscriptions are bound to it, so it is
# kept, never rotated lightly. Generated once into the data directory outside production; in
# production web push is off until it is set.
DEFENSA_VAPID_PRIVATE_KEY = env.secret("DEFENSA_VAPID_PRIVATE_KEY") or (
    "" if PRODUCTION else env.local_secret(DATA_DIR, "vapid_key", "token")
)
# Kept-alive connections per push service, and requests in flight on each.
DEFENSA_PUSH_CONNECTIONS = env.integer("DEFENSA_PUSH_CONNECTIONS", default=8, minimum=1)
DEFENSA_PUSH_PIPELINE = env.integer("DEFENSA_PUSH_PIPELINE", default=8, minimum=1)
# Seconds a worker holds a batch before another may take it over (it renews while it works).
DEFENSA_DELIVERY_LEASE_SECONDS = env.integer(
    "DEFENSA_DELIVERY_LEASE_SECONDS", default=120, minimum=2
)
# Seconds between sweeps for batches a killed worker left, or whose retry came due.
DEFENSA_DELIVERY_SWEEP_SECONDS = env.integer(
    "DEFENSA_DELIVERY_SWEEP_SECONDS", default=60, minimum=1
)
# Days after an alert expires until its batches and the rows of who it reached (which link
# subscribers to alerts) are deleted; its per-channel counts stay.
DEFENSA_DELIVERY_RETENTION_DAYS = env.integer(
    "DEFENSA_DELIVERY_RETENTION_DAYS", default=30, minimum=1
)

# --- Outbound HTTP ----------------------------------------------------------------------------

DEFENSA_HTTP_TIMEOUT = float(env.integer("DEFENSA_HTTP_TIMEOUT_SECONDS", default=10, minimum=1))

# --- Logging: no client address, phone number or free text reaches a log ----------------------

LOG_LEVEL = env.text("DEFENSA_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacted": {
            "()": "defensa.core.privacy.RedactingFormatter",
            "format": "{asctime} {levelname} {name}: {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "redacted"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replace Django's defaults, which e-mail error reports with the request's META.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # httpx logs every request's URL at INFO: a geocoder query is a place someone reported.
        "httpx": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "httpcore": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Periodic jobs (enqueued by `manage.py scheduler`): task path -> interval in seconds -----

DEFENSA_PERIODIC_TASKS = {
    "defensa.core.tasks.shred_expired_keys": 3600,
    "defensa.core.tasks.verify_audit_log": 24 * 3600,
    "defensa.core.tasks.clear_expired_sessions": 3600,
    "defensa.core.tasks.prune_finished_tasks": 24 * 3600,
    "defensa.messaging.tasks.deliver_due_messages": 60,
    "defensa.messaging.tasks.forget_old_messages": 24 * 3600,
    "defensa.shifts.tasks.extend_schedules": 24 * 3600,
    "defensa.shifts.tasks.warn_about_gaps": 3600,
    "defensa.shifts.tasks.forget_old_offers": 24 * 3600,
    "defensa.shifts.tasks.forget_old_shifts": 24 * 3600,
    "defensa.hotline.tasks.fetch_due_media": 60,
    "defensa.hotline.tasks.forget_finished_fetches": 24 * 3600,
    "defensa.hotline.tasks.forget_expired_conversations": 600,
    "defensa.incidents.tasks.cluster_left_behind": 60,
    "defensa.incidents.tasks.escalate_dispatches": 30,
    "defensa.alerts.delivery_tasks.sweep_deliveries": DEFENSA_DELIVERY_SWEEP_SECONDS,
    "defensa.alerts.tasks.expire_alerts": 60,
    "defensa.alerts.delivery_tasks.forget_old_deliveries": 24 * 3600,
    "defensa.alerts.tasks.forget_unconfirmed_subscriptions": 24 * 3600,
}
