"""The signed snapshot of an approved alert, and checking it.

At approval an alert is frozen into canonical JSON (sorted keys, no spaces, UTF-8) holding
its kind, committee, incident, what it corrects, every text, its place and cells, its times,
its verification code and the id of the key that signs it; that exact byte string is signed
with Ed25519 (`core.signing`, a key derived from the newest master key). Nothing else about
the alert is trusted: the public pages and feeds read the snapshot, and a row whose columns
no longer match it is refused as tampered.

A code checks out when its alert was approved, its signature verifies with a key still
listed at /.well-known/defensa-signing-keys.json, and the snapshot names the same alert,
code, committee and expiry as the row. An authentic code can still be not current: it
expired (an old message passed around again), it was corrected (the page links the
correction), or it belongs to another committee than the message claims.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

from defensa.alerts.compose import normalized_code
from defensa.alerts.models import Alert, AlertStatus
from defensa.core import signing

SNAPSHOT_VERSION = 1
SNAPSHOT_TYPE = "defensa-alert"
# Statuses of alerts that were approved (and so carry a signed snapshot).
PUBLISHED = [
    AlertStatus.APPROVED,
    AlertStatus.SENDING,
    AlertStatus.SENT,
    AlertStatus.CORRECTED,
    AlertStatus.EXPIRED,
]
LIVE = [AlertStatus.APPROVED, AlertStatus.SENDING, AlertStatus.SENT]


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def stamp(value: datetime | None) -> str | None:
    """A time in the snapshot: UTC, whole seconds."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def snapshot_of(
    alert: Alert,
    *,
    key_id: str,
    headlines: Mapping[str, str],
    places: Mapping[str, str],
    advice: Mapping[str, str],
) -> dict[str, Any]:
    """What is signed: everything public about the alert, nobody's name or code."""
    corrects = alert.corrects
    return {
        "v": SNAPSHOT_VERSION,
        "type": SNAPSHOT_TYPE,
        "alert": str(alert.code),
        "kind": alert.kind,
        "committee": str(alert.committee.code),
        "committee_name": alert.committee.name,
        "incident": str(alert.incident.code) if alert.incident else None,
        "corrects": (
            {"alert": str(corrects.code), "verify_code": corrects.verify_code}
            if corrects is not None
            else None
        ),
        "texts": alert.texts,
        "headlines": dict(headlines),
        "place": dict(places),
        "advice": dict(advice),
        "cells": sorted(alert.cells),
        "composed_at": stamp(alert.composed_at),
        "approved_at": stamp(alert.approved_at),
        "expires_at": stamp(alert.expires_at),
        "verify_code": alert.verify_code,
        "key_id": key_id,
    }


def sign_snapshot(data: Mapping[str, Any]) -> tuple[str, str, str]:
    """(canonical text, base64 signature, key id). `data` must name the signing key."""
    body = canonical(data)
    key_id, signature = signing.sign(body)
    if key_id != data.get("key_id"):
        raise RuntimeError("the signing key changed while signing")
    return body.decode(), base64.b64encode(signature).decode("ascii"), key_id


def fingerprint(raw: bytes) -> str:
    """SHA-256 of a raw public key, in groups of four: what people compare by eye."""
    digest = hashlib.sha256(raw).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


@dataclass(frozen=True)
class Key:
    key_id: str
    base64: str
    fingerprint: str
    active: bool


def listed_keys() -> list[Key]:
    """The keys that verify alerts today, the signing one first (as published)."""
    return [Key(k.key_id, k.base64, fingerprint(k.raw), k.active) for k in signing.public_keys()]


# --- Checking one alert ----------------------------------------------------------------------


def signature_problem(alert: Alert) -> tuple[str, dict[str, Any] | None]:
    """("", snapshot) when the alert's signature and contents check out; else the reason:
    "unsigned", "key" (unknown or no longer listed), "signature" or "contents"."""
    if not alert.snapshot or not alert.signature or not alert.key_id:
        return "unsigned", None
    key = signing.public_key(alert.key_id)
    if key is None:
        return "key", None
    try:
        signature = base64.b64decode(alert.signature, validate=True)
    except (binascii.Error, ValueError):
        return "signature", None
    body = alert.snapshot.encode()
    if not signing.verify_with(body, key.raw, signature):
        return "signature", None
    data = json.loads(body)
    if data.get("key_id") != alert.key_id:
        return "key", None
    if canonical(data) != body or not _matches(alert, data):
        return "contents", None
    return "", data


def _matches(alert: Alert, data: Mapping[str, Any]) -> bool:
    """The row says what was signed: not another alert's snapshot moved onto it (a replay),
    nor texts, cells or an expiry changed afterwards."""
    corrects = data.get("corrects")
    return (
        data.get("v") == SNAPSHOT_VERSION
        and data.get("type") == SNAPSHOT_TYPE
        and data.get("alert") == str(alert.code)
        and data.get("verify_code") == alert.verify_code
        and data.get("committee") == str(alert.committee.code)
        and data.get("kind") == alert.kind
        and data.get("expires_at") == stamp(alert.expires_at)
        and data.get("texts") == alert.texts
        and data.get("cells") == sorted(alert.cells)
        and (corrects or {}).get("alert") == (str(alert.corrects.code) if alert.corrects else None)
    )


def signed(alert: Alert) -> dict[str, Any] | None:
    """The alert's snapshot when it checks out, else None: what public output is made of."""
    problem, data = signature_problem(alert)
    return None if problem else data


def signed_texts(alert: Alert) -> dict[str, dict[str, str]]:
    """{language: {channel: text}} as signed: what deliveries should send."""
    data = signed(alert)
    return dict(data["texts"]) if data else {}


# --- Checking a code -------------------------------------------------------------------------


class State(StrEnum):
    UNKNOWN = "unknown"  # no approved alert has this code
    INVALID = "invalid"  # it does not check out: do not trust it
    CURRENT = "current"
    EXPIRED = "expired"  # authentic, but over: an old message passed on again
    CORRECTED = "corrected"  # authentic, but a later alert corrected it


@dataclass(frozen=True)
class Verification:
    state: State
    code: str
    alert: Alert | None = None
    data: dict[str, Any] | None = None
    correction: Alert | None = None
    reason: str = ""
    # The message claimed another committee than the one that signed it.
    other_committee: bool = False

    @property
    def authentic(self) -> bool:
        return self.state in (State.CURRENT, State.EXPIRED, State.CORRECTED)

    @property
    def current(self) -> bool:
        return self.state == State.CURRENT and not self.other_committee

    @property
    def expires_at(self) -> datetime | None:
        return parse_stamp(self.data["expires_at"]) if self.data else None

    @property
    def approved_at(self) -> datetime | None:
        return parse_stamp(self.data["approved_at"]) if self.data else None


def published(code: str) -> Alert | None:
    """The approved alert with this verification code (drafts and discarded ones are not)."""
    return (
        Alert.objects.filter(verify_code=code, status__in=PUBLISHED, approved_at__isnull=False)
        .select_related("committee", "incident", "corrects")
        .first()
    )


def correction_of(alert: Alert) -> Alert | None:
    """The first approved correction of an alert whose own signature checks out."""
    for item in (
        Alert.objects.filter(corrects=alert, status__in=PUBLISHED, approved_at__isnull=False)
        .select_related("committee", "incident", "corrects")
        .order_by("approved_at", "pk")
    ):
        if signed(item) is not None:
            return item
    return None


def check(code: str, *, committee: str | None = None, at: datetime | None = None) -> Verification:
    """What the public verify page says about a code. `committee`: the committee code the
    message claimed, when known (a code moved to another committee's message is flagged)."""
    normal = normalized_code(code)
    alert = published(normal) if normal else None
    if alert is None:
        return Verification(State.UNKNOWN, normal or str(code)[:20])
    problem, data = signature_problem(alert)
    if data is None:
        return Verification(State.INVALID, normal, alert=alert, reason=problem)
    other = committee is not None and str(committee) != data["committee"]
    correction = correction_of(alert)
    if correction is not None:
        state = State.CORRECTED
    elif alert.status == AlertStatus.EXPIRED or parse_stamp(data["expires_at"]) <= (
        at or timezone.now()
    ):
        state = State.EXPIRED
    else:
        state = State.CURRENT
    return Verification(
        state, normal, alert=alert, data=data, correction=correction, other_committee=other
    )
