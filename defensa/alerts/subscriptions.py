"""Subscribing to verified alerts and stopping them, on every channel, without an account.

Every write is here: keyword-only, typed, in one transaction, with one audit event. Nobody
signs in to subscribe, so the actor of every event is None; the address is never in an event
(only whether one is sealed), and the area only as the subscriber chose it (ZIP codes, zone
codes or one coarse cell).

An area becomes resolution-7 cells (about 5 km², the finest place we keep): a ZIP code its
centre's cell and the ring around it, a zone the cells of its area units, a map pick the one
cell around the point (the point itself is dropped at once). The subscription belongs to the
committee whose area holds it (as the hotline routes reports), else the committee whose number
the text reached; its key seals the address.

A second sign-up from the same address updates the live subscription (a partial unique
constraint keeps one per channel and address). Stopping wipes the address, the cells and the
tokens, and keeps only the row's status and dates.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import h3
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from defensa.alerts import addresses, confirm_call
from defensa.alerts.compose import unit_cells
from defensa.alerts.models import Channel, Subscription, SubscriptionCell, SubscriptionStatus
from defensa.core import audit, crypto, geo
from defensa.core.errors import ActionRefused
from defensa.hotline import routing
from defensa.network.models import AreaKind, Committee, Zone

MAX_ZIPS = 5
MAX_ZONES = 5
MAX_ENDPOINT = 1024
LIVE = (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE)
# Channels that reach a phone number: STOP by SMS from a number also stops calls to it.
STOPPED_TOGETHER: dict[str, tuple[str, ...]] = {
    Channel.SMS: (Channel.SMS, Channel.VOICE),
    Channel.WHATSAPP: (Channel.WHATSAPP,),
    Channel.SIGNAL: (Channel.SIGNAL,),
    Channel.VOICE: (Channel.VOICE,),
    Channel.EMAIL: (Channel.EMAIL,),
    Channel.PUSH: (Channel.PUSH,),
}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}$")
# The area is not audited: the audit log is never deleted, and where someone asked for alerts
# must go when they stop (the event says only the channel, status and language).
AUDITED = ["channel", "status", "language"]
# Channels where a sign-up does not prove the person holds the address (an e-mail or a number
# typed on the web, a caller id): a live subscription of such an address is never changed by a
# new sign-up, or anyone could quietly move someone's alerts elsewhere. To change it, stop it
# (every message says how) and sign up again.
UNPROVEN = (Channel.EMAIL, Channel.VOICE)


@dataclass(frozen=True)
class Area:
    """Where a subscriber wants alerts, as they chose it."""

    zips: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()  # zone codes
    cell: str = ""  # a resolution-7 cell (a map pick, already coarse)

    @classmethod
    def around(cls, lat: float, lng: float) -> Area:
        """A map pick: only the resolution-7 cell around the point is kept."""
        return cls(cell=geo.coarse_cell(lat, lng))


@dataclass(frozen=True)
class Placed:
    committee: Committee
    cells: list[str]
    area: dict[str, Any]


@dataclass(frozen=True)
class Subscribed:
    subscription: Subscription
    created: bool  # False: an existing subscription of this address was updated
    confirm_token: str = ""  # e-mail: the token of the confirmation link (only sent, never kept)


# --- Areas -------------------------------------------------------------------------------------


def _zip_committee(code: str, number: str) -> Committee | None:
    return routing.committee_for_place(zip_code=code) or (
        routing.committee_for_number(number) if number else None
    )


def place(area: Area, *, number: str = "") -> Placed:
    """The committee and cells of an area, or ActionRefused saying what is wrong with it."""
    zips = list(dict.fromkeys(area.zips))
    zones = list(dict.fromkeys(area.zones))
    if len(zips) > MAX_ZIPS or len(zones) > MAX_ZONES:
        raise ActionRefused(
            _("Choose at most %(count)s ZIP codes or zones.") % {"count": MAX_ZIPS}, field="zips"
        )
    committee: Committee | None = None
    cells: set[str] = set()
    for code in zips:
        if geo.zip_code(code) is None:
            raise ActionRefused(
                _("%(zip_code)s is not a ZIP code we know. Send five digits, like 60623.")
                % {"zip_code": code[:10]},
                field="zips",
            )
        # One served ZIP code is enough: alerts reach subscribers by cell, from any committee.
        committee = committee or _zip_committee(code, number)
        cells |= unit_cells(AreaKind.ZIP, code)
    if zips and committee is None:
        raise ActionRefused(
            _("No committee sends alerts for ZIP code %(zip_code)s yet.") % {"zip_code": zips[0]},
            field="zips",
        )
    for code in zones:
        try:
            zone_code = uuid.UUID(str(code))
        except ValueError:
            zone_code = None
        zone = (
            Zone.objects.filter(code=zone_code).select_related("committee").first()
            if zone_code
            else None
        )
        if zone is None:
            raise ActionRefused(_("That zone does not exist any more."), field="zones")
        committee = committee or zone.committee
        for unit in zone.area.all():
            cells |= unit_cells(unit.kind, unit.value)
    if area.cell:
        # A map pick is one resolution-7 cell: never finer, and never a whole region.
        if not geo.valid_area_cell(area.cell) or h3.get_resolution(area.cell) != (
            geo.FINEST_RESOLUTION
        ):
            raise ActionRefused(_("That place could not be used."), field="place")
        found = routing.committee_for_place(cell=area.cell)
        if found is None:
            near = geo.nearest_zip(*geo.cell_center(area.cell))
            found = _zip_committee(near.code, number) if near else None
        if found is None:
            raise ActionRefused(_("No committee sends alerts for that place yet."), field="place")
        committee = committee or found
        cells.add(area.cell)
    if committee is None:
        raise ActionRefused(
            _("Choose where: a ZIP code, a zone or your place on the map."), field="zips"
        )
    if not cells:
        raise ActionRefused(_("That area has no places in it yet."), field="zones")
    chosen: dict[str, Any] = {}
    if zips:
        chosen["zips"] = zips
    if zones:
        chosen["zones"] = [str(code) for code in zones]
    if area.cell:
        chosen["cell"] = area.cell
    return Placed(committee=committee, cells=sorted(cells), area=chosen)


# --- Addresses ---------------------------------------------------------------------------------


def push_address(data: Any) -> dict[str, Any]:
    """A browser's PushSubscription (its toJSON()), checked: an https endpoint on a push
    service this deployment allows, and the two keys RFC 8291 needs. Only those are kept."""
    if not isinstance(data, dict):
        raise ActionRefused(_("This browser's push subscription could not be read."))
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not isinstance(keys, dict):
        raise ActionRefused(_("This browser's push subscription could not be read."))
    if not push_endpoint_allowed(endpoint):
        raise ActionRefused(_("This browser's push service is not one we can send alerts to."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    public = _b64url(p256dh)
    secret = _b64url(auth)
    if public is None or len(public) != 65 or public[0] != 4 or secret is None or len(secret) != 16:
        raise ActionRefused(_("This browser's push subscription could not be read."))
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def push_endpoint_allowed(endpoint: str) -> bool:
    if len(endpoint) > MAX_ENDPOINT:
        return False
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return False
    allowed = [h.strip().lower() for h in settings.DEFENSA_PUSH_SERVICE_HOSTS if h.strip()]
    return any(host == h or host.endswith("." + h) for h in allowed)


def _b64url(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return None


def email_address(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise ActionRefused(
            _("Write a whole e-mail address, like name@example.org."), field="email"
        )
    return value


# --- Tokens (e-mail confirmation and one-click unsubscribe) ------------------------------------


def _token_hash(purpose: str, token: str) -> str:
    return salted_hmac(f"defensa.alerts.{purpose}", token, algorithm="sha256").hexdigest()


def unsubscribe_token(subscription: Subscription) -> str:
    """The one-click unsubscribe token of a subscription: derived from its code under the site's
    secret, so every message can carry it while the database keeps only its hash."""
    mac = salted_hmac(
        "defensa.alerts.unsubscribe-token", str(subscription.code), algorithm="sha256"
    )
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()


def unsubscribe_url(subscription: Subscription) -> str:
    """The public one-click unsubscribe link (RFC 8058 List-Unsubscribe) of a subscription."""
    path = reverse(
        "alerts_subscribe:unsubscribe", kwargs={"token": unsubscribe_token(subscription)}
    )
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + path


def confirm_url(token: str) -> str:
    path = reverse("alerts_subscribe:confirm", kwargs={"token": token})
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + path


# --- Subscribing -------------------------------------------------------------------------------


def _live(channel: str, address: str) -> Subscription | None:
    return (
        Subscription.objects.select_for_update()
        .filter(
            channel=channel,
            address_index__in=addresses.indexes(channel, address),
            status__in=LIVE,
        )
        .select_related("committee")
        .first()
    )


def _set_cells(subscription: Subscription, cells: Iterable[str]) -> None:
    SubscriptionCell.objects.filter(subscription=subscription).delete()
    SubscriptionCell.objects.bulk_create(
        [SubscriptionCell(subscription=subscription, cell=cell) for cell in cells]
    )


def _language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else codes[0]


@transaction.atomic
def subscribe(
    *,
    channel: str,
    address: Any,  # a string, or a push subscription's JSON (checked here)
    language: str,
    area: Area,
    number: str = "",
) -> Subscribed:
    """Subscribe an address (a phone number, a Signal account, an e-mail address or a push
    subscription) to the alerts of an area, in a language.

    Text channels and push are active at once (the sender holds the phone or the browser).
    E-mail waits for its confirmation link, a phone call for its number to answer a call and
    press 1 (`confirm_call`): nothing is delivered until then.
    """
    if channel not in Channel.values:
        raise ActionRefused(_("That way of receiving alerts is not available."))
    if channel == Channel.PUSH:
        address = push_address(address)
    elif channel == Channel.EMAIL:
        address = email_address(str(address))
    elif not isinstance(address, str) or not addresses.normalized(channel, address):
        raise ActionRefused(_("Write a phone number, like 312 555 0142."), field="phone")
    placed = place(area, number=number)
    language = _language(language)
    key = address if isinstance(address, str) else str(address["endpoint"])
    now = timezone.now()
    pending = channel in (Channel.EMAIL, Channel.VOICE)
    confirm_token = secrets.token_urlsafe(24) if channel == Channel.EMAIL else ""
    existing = _live(channel, key)
    if existing is not None:
        if channel in UNPROVEN and existing.status == SubscriptionStatus.ACTIVE:
            return Subscribed(existing, created=False)
        return _update(existing, address, placed, language, confirm_token, now=now)
    subscription = Subscription(
        committee=placed.committee,
        channel=channel,
        status=SubscriptionStatus.PENDING if pending else SubscriptionStatus.ACTIVE,
        language=language,
        area=placed.area,
        created_at=now,
        confirmed_at=None if pending else now,
        confirm_token_hash=_token_hash("confirm", confirm_token) if confirm_token else "",
    )
    addresses.seal(subscription, address)
    subscription.unsubscribe_token_hash = _token_hash(
        "unsubscribe", unsubscribe_token(subscription)
    )
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError:
        # The same address signed up at the same moment on another request: update that one.
        existing = _live(channel, key)
        if existing is None:
            raise
        return _update(existing, address, placed, language, confirm_token, now=now)
    _set_cells(subscription, placed.cells)
    audit.record(
        actor=None,
        verb="alerts.subscribed",
        target=subscription,
        committee=placed.committee.code,
        after=audit.snapshot(subscription, AUDITED, sealed=["address_sealed"]),
    )
    if confirm_token:
        _send_confirmation(str(address), confirm_token, language)
    elif pending:
        _ask_by_call(subscription)
    return Subscribed(subscription, created=True, confirm_token=confirm_token)


def _update(
    subscription: Subscription,
    address: str | dict[str, Any],
    placed: Placed,
    language: str,
    confirm_token: str,
    *,
    now: datetime,
) -> Subscribed:
    before = audit.snapshot(subscription, AUDITED, sealed=["address_sealed"])
    subscription.language = language
    subscription.area = placed.area
    if subscription.committee_id != placed.committee.pk:
        subscription.committee = placed.committee
    # Sealed again: the committee is part of the seal's binding, and push keys may change.
    addresses.seal(subscription, address)
    fields = ["committee", "language", "area", "address_index", "address_sealed"]
    resend = subscription.status == SubscriptionStatus.PENDING and bool(confirm_token)
    call_again = (
        subscription.status == SubscriptionStatus.PENDING
        and subscription.channel == Channel.VOICE
        and subscription.created_at <= now - confirm_call.CALL_AGAIN_AFTER
    )
    if resend or call_again:
        subscription.confirm_token_hash = _token_hash("confirm", confirm_token)
        # Never confirmed: it counts as asked for now, so the new link has its full days.
        subscription.created_at = now
        fields += ["confirm_token_hash", "created_at"]
    subscription.save(update_fields=fields)
    _set_cells(subscription, placed.cells)
    audit.record(
        actor=None,
        verb="alerts.subscription_updated",
        target=subscription,
        committee=subscription.committee.code,
        before=before,
        after=audit.snapshot(subscription, AUDITED, sealed=["address_sealed"]),
    )
    if resend:
        _send_confirmation(str(address), confirm_token, language)
    if call_again:
        _ask_by_call(subscription)
    return Subscribed(subscription, created=False, confirm_token=confirm_token if resend else "")


def _send_confirmation(to: str, token: str, language: str) -> None:
    with translation.override(language):
        subject = _("Confirm your alerts from %(site)s") % {"site": settings.DEFENSA_SITE_NAME}
        body = _(
            "Someone asked to receive verified alerts from %(site)s at this address. To confirm, "
            "open this link and press the button: %(link)s\n\nIf it was not you, do nothing: "
            "without confirmation you will receive nothing."
        ) % {"site": settings.DEFENSA_SITE_NAME, "link": confirm_url(token)}
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFENSA_EMAIL_FROM, to=[to]
    )
    # Only once the subscription is stored: a rolled-back sign-up sends nothing.
    transaction.on_commit(lambda: message.send(fail_silently=True))


def _ask_by_call(subscription: Subscription) -> None:
    from defensa.alerts.tasks import call_to_confirm

    code = str(subscription.code)
    # Only once the subscription is stored: a rolled-back sign-up calls nobody.
    transaction.on_commit(lambda: call_to_confirm.enqueue(code))


@transaction.atomic
def answer_confirmation_call(*, code: str, digits: str, number: str) -> tuple[str, str]:
    """The key pressed on the call that confirms a phone-call subscription: ("confirmed" |
    "never" | "unchanged", the language to answer in). Counts only from the number the
    subscription holds, within DEFENSA_SUBSCRIBE_CONFIRM_DAYS."""
    oldest = timezone.now() - timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS)
    if not _is_uuid(code):
        return "unchanged", settings.LANGUAGE_CODE
    subscription = (
        Subscription.objects.select_for_update()
        .filter(
            code=code,
            channel=Channel.VOICE,
            status=SubscriptionStatus.PENDING,
            created_at__gte=oldest,
        )
        .select_related("committee")
        .first()
    )
    if subscription is None:
        return "unchanged", settings.LANGUAGE_CODE
    language = subscription.language
    normalized = addresses.normalized(Channel.VOICE, number) if number else ""
    if not normalized or subscription.address_index not in addresses.indexes(Channel.VOICE, number):
        return "unchanged", language
    if digits == confirm_call.NEVER:
        _stop(subscription, how="call")
        return "never", language
    if digits != confirm_call.YES:
        return "unchanged", language
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.confirmed_at = timezone.now()
    subscription.save(update_fields=["status", "confirmed_at"])
    audit.record(
        actor=None,
        verb="alerts.subscription_confirmed",
        target=subscription,
        committee=subscription.committee.code,
        after={"status": subscription.status, "how": "call"},
    )
    return "confirmed", language


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def pending_by_token(token: str) -> Subscription | None:
    """The e-mail subscription waiting for this confirmation link, or None (also when the
    link is too old)."""
    if not token or len(token) > 64:
        return None
    oldest = timezone.now() - timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS)
    return (
        Subscription.objects.filter(
            confirm_token_hash=_token_hash("confirm", token),
            status=SubscriptionStatus.PENDING,
            created_at__gte=oldest,
        )
        .select_related("committee")
        .first()
    )


@transaction.atomic
def confirm(*, token: str) -> Subscription | None:
    """Confirm an e-mail subscription from its link; None for a link that is unknown, used or
    too old."""
    found = pending_by_token(token)
    if found is None:
        return None
    subscription = Subscription.objects.select_for_update().get(pk=found.pk)
    if subscription.status != SubscriptionStatus.PENDING:
        return None
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.confirmed_at = timezone.now()
    subscription.confirm_token_hash = ""
    subscription.save(update_fields=["status", "confirmed_at", "confirm_token_hash"])
    audit.record(
        actor=None,
        verb="alerts.subscription_confirmed",
        target=subscription,
        committee=found.committee.code,
        after={"status": subscription.status},
    )
    return subscription


# --- Stopping ----------------------------------------------------------------------------------


def _stop(
    subscription: Subscription, *, how: str, status: str = SubscriptionStatus.STOPPED
) -> None:
    before = audit.snapshot(subscription, AUDITED, sealed=["address_sealed"])
    subscription.status = status
    subscription.stopped_at = timezone.now()
    # Nothing left to find or to deliver to: no address, no hash of it, no place, no tokens.
    subscription.address_sealed = None
    subscription.address_index = ""
    subscription.confirm_token_hash = ""
    subscription.unsubscribe_token_hash = ""
    subscription.area = {}
    subscription.save(
        update_fields=[
            "status",
            "stopped_at",
            "address_sealed",
            "address_index",
            "confirm_token_hash",
            "unsubscribe_token_hash",
            "area",
        ]
    )
    SubscriptionCell.objects.filter(subscription=subscription).delete()
    audit.record(
        actor=None,
        verb="alerts.subscription_stopped"
        if status == SubscriptionStatus.STOPPED
        else "alerts.subscription_gone",
        target=subscription,
        committee=subscription.committee.code,
        before=before,
        after={"status": status, "how": how},
    )


@transaction.atomic
def stop_address(*, channel: str, address: str) -> list[Subscription]:
    """STOP (BAJA, PARAR...) from an address: every live subscription of it stops. Returns
    them (empty when there was none)."""
    stopped = []
    for each in STOPPED_TOGETHER.get(channel, (channel,)):
        found = list(
            Subscription.objects.select_for_update()
            .filter(
                channel=each,
                address_index__in=addresses.indexes(each, address),
                status__in=LIVE,
            )
            .select_related("committee")
        )
        for subscription in found:
            _stop(subscription, how=f"keyword:{channel}")
            stopped.append(subscription)
    return stopped


def live_by_unsubscribe_token(token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return (
        Subscription.objects.filter(
            unsubscribe_token_hash=_token_hash("unsubscribe", token), status__in=LIVE
        )
        .select_related("committee")
        .first()
    )


@transaction.atomic
def stop_by_token(*, token: str) -> Subscription | None:
    """The one-click unsubscribe link (an e-mail's List-Unsubscribe): stops its subscription.
    None when the link is unknown or already used."""
    found = live_by_unsubscribe_token(token)
    if found is None:
        return None
    subscription = (
        Subscription.objects.select_for_update().select_related("committee").get(pk=found.pk)
    )
    if subscription.status not in LIVE:
        return None
    _stop(subscription, how="link")
    return subscription


@transaction.atomic
def renew_push(*, old_endpoint: Any, subscription: Any) -> Subscription | None:
    """The browser replaced its push subscription (`pushsubscriptionchange`): the live
    subscription of the old endpoint (whose knowledge is the proof) moves to the new one, with
    its area and language. None when the old endpoint has no live subscription."""
    address = push_address(subscription)  # refuses what is not a usable push subscription
    if not isinstance(old_endpoint, str) or not push_endpoint_allowed(old_endpoint):
        return None
    found = _live(Channel.PUSH, old_endpoint)
    if found is None:
        return None
    before = audit.snapshot(found, AUDITED, sealed=["address_sealed"])
    taken = _live(Channel.PUSH, str(address["endpoint"]))
    if taken is not None and taken.pk != found.pk:
        _stop(taken, how="renewed")  # the new endpoint was signed up too: one is enough
    addresses.seal(found, address)
    found.save(update_fields=["address_index", "address_sealed"])
    audit.record(
        actor=None,
        verb="alerts.subscription_renewed",
        target=found,
        committee=found.committee.code,
        before=before,
        after=audit.snapshot(found, AUDITED, sealed=["address_sealed"]),
    )
    return found


@transaction.atomic
def stop_push(*, endpoint: str) -> bool:
    """A browser asks to stop the alerts of its push subscription (named by its endpoint,
    which only that browser and its push service know)."""
    if not isinstance(endpoint, str) or not push_endpoint_allowed(endpoint):
        return False
    return bool(stop_address(channel=Channel.PUSH, address=endpoint))


# --- Keys ----------------------------------------------------------------------------------------


def reindex_addresses(*, batch: int = 500) -> int:
    """Give live subscriptions indexed under an older master key the newest key's index, so
    that STOP and a second sign-up still find them once the old key is removed (run after a
    master-key rotation, with `rewrap_data_keys`). How many changed; audited once."""
    changed = 0
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Subscription.objects.select_for_update()
                .filter(pk__gt=last, status__in=LIVE)
                .select_related("committee")
                .order_by("pk")[:batch]
            )
            if not rows:
                break
            for subscription in rows:
                address = addresses.address_of(subscription)
                if address is None:
                    continue  # its committee's key is gone: nothing to find it by
                key = address if isinstance(address, str) else str(address["endpoint"])
                fresh = addresses.index(subscription.channel, key)
                if fresh != subscription.address_index:
                    subscription.address_index = fresh
                    subscription.save(update_fields=["address_index"])
                    changed += 1
            last = rows[-1].pk
    audit.record(
        actor=None,
        verb="alerts.addresses_reindexed",
        object_type="alerts.subscription",
        after={"subscriptions": changed, "master_key": crypto.master_ring().active_id},
    )
    return changed


@transaction.atomic
def mark_gone(*, subscription_ids: Sequence[int]) -> int:
    """Subscriptions whose address no longer works (an invalid number, an expired push
    endpoint, a recipient the provider says unsubscribed): stopped as gone, address wiped."""
    found = list(
        Subscription.objects.select_for_update()
        .filter(pk__in=list(subscription_ids), status__in=LIVE)
        .select_related("committee")
    )
    for subscription in found:
        _stop(subscription, how="provider", status=SubscriptionStatus.GONE)
    return len(found)


@transaction.atomic
def forget_unconfirmed(*, now: datetime | None = None) -> int:
    """E-mail and phone-call sign-ups never confirmed within DEFENSA_SUBSCRIBE_CONFIRM_DAYS:
    their sealed address is wiped (for a periodic job)."""
    oldest = (now or timezone.now()) - timedelta(days=settings.DEFENSA_SUBSCRIBE_CONFIRM_DAYS)
    found = list(
        Subscription.objects.select_for_update()
        .filter(status=SubscriptionStatus.PENDING, created_at__lt=oldest)
        .select_related("committee")
    )
    for subscription in found:
        _stop(subscription, how="unconfirmed")
    return len(found)
