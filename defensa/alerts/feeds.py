"""The public feeds of verified alerts: Atom, JSON Feed 1.1 and CAP 1.2.

Every feed is made from the signed snapshots only (`access.public_alerts`), never from a
row's columns, so a feed says exactly what was approved. The JSON Feed carries each
snapshot, its signature and key id, so anyone can check it offline against the published
keys. The CAP feed is an Atom feed whose entries each hold one CAP 1.2 `<alert>`: a
correction is an Update (all clear) or a Cancel (false alarm) that references the alert it
corrects; each language is one `<info>`; the area is the outline of the alert's cells.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation

from defensa.alerts import alert_map, compose
from defensa.alerts.access import Published
from defensa.alerts.models import AlertKind, Channel

ATOM = "http://www.w3.org/2005/Atom"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED = "https://jsonfeed.org/version/1.1"
ET.register_namespace("", ATOM)
ET.register_namespace("cap", CAP)

# What a CAP reader is told per kind: category, response, urgency, severity, certainty.
CAP_TERMS: dict[str, tuple[str, str, str, str, str]] = {
    AlertKind.CONFIRMED: ("Security", "Avoid", "Immediate", "Severe", "Observed"),
    AlertKind.FALSE_ALARM: ("Security", "None", "Past", "Minor", "Observed"),
    AlertKind.ALL_CLEAR: ("Security", "AllClear", "Past", "Minor", "Observed"),
    AlertKind.KNOW_YOUR_RIGHTS: ("Safety", "Prepare", "Unknown", "Minor", "Unknown"),
}
CAP_LANGUAGE = {"es": "es-US", "en": "en-US"}


def base_url() -> str:
    return settings.DEFENSA_PUBLIC_URL.rstrip("/")


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cap_time(value: datetime) -> str:
    """CAP 1.2 forbids "Z": UTC is written "-00:00"."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def _language(data: dict[str, Any], wanted: str) -> str:
    texts = data["texts"]
    return wanted if wanted in texts else next(iter(texts), "es")


def headline(item: Published, language: str) -> str:
    return str(item.data["headlines"].get(_language(item.data, language), ""))


def text(item: Published, language: str, channel: str = Channel.WHATSAPP) -> str:
    return str(item.data["texts"][_language(item.data, language)].get(channel, ""))


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if value is not None:
        element.text = value
    return element


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- Atom --------------------------------------------------------------------------------------


def _atom_head(root: ET.Element, *, title: str, self_url: str, updated: datetime) -> None:
    _sub(root, f"{{{ATOM}}}id", self_url)
    _sub(root, f"{{{ATOM}}}title", title)
    _sub(root, f"{{{ATOM}}}updated", _rfc3339(updated))
    _sub(root, f"{{{ATOM}}}link", rel="self", href=self_url)
    _sub(root, f"{{{ATOM}}}link", rel="alternate", href=f"{base_url()}/alertas/")
    author = _sub(root, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", settings.DEFENSA_SITE_NAME)


def _entry(root: ET.Element, item: Published, language: str) -> ET.Element:
    data = item.data
    entry = _sub(root, f"{{{ATOM}}}entry")
    _sub(entry, f"{{{ATOM}}}id", f"urn:uuid:{data['alert']}")
    _sub(entry, f"{{{ATOM}}}title", headline(item, language))
    _sub(entry, f"{{{ATOM}}}published", _rfc3339(item.approved_at))
    _sub(entry, f"{{{ATOM}}}updated", _rfc3339(item.approved_at))
    _sub(entry, f"{{{ATOM}}}link", rel="alternate", href=compose.link(data["verify_code"]))
    _sub(entry, f"{{{ATOM}}}category", term=data["kind"])
    author = _sub(entry, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", data["committee_name"])
    return entry


def atom(items: Sequence[Published], *, language: str, title: str, at: datetime) -> bytes:
    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: language})
    updated = max((i.approved_at for i in items), default=at)
    _atom_head(root, title=title, self_url=f"{base_url()}/alertas/feed.atom", updated=updated)
    for item in items:
        entry = _entry(root, item, language)
        _sub(entry, f"{{{ATOM}}}content", text(item, language), type="text")
    return _xml(root)


# --- JSON Feed 1.1 ---------------------------------------------------------------------------


def json_feed(
    items: Sequence[Published], *, language: str, title: str, description: str
) -> dict[str, Any]:
    return {
        "version": JSON_FEED,
        "title": title,
        "description": description,
        "home_page_url": f"{base_url()}/alertas/",
        "feed_url": f"{base_url()}/alertas/feed.json?lang={language}",
        "language": language,
        "items": [_json_item(item, language) for item in items],
    }


def _json_item(item: Published, language: str) -> dict[str, Any]:
    data = item.data
    return {
        "id": data["alert"],
        "url": compose.link(data["verify_code"]),
        "title": headline(item, language),
        "content_text": text(item, language),
        "date_published": _rfc3339(item.approved_at),
        "language": _language(data, language),
        "tags": [data["kind"]],
        "authors": [{"name": data["committee_name"]}],
        "_defensa": {
            "kind": data["kind"],
            "verify_code": data["verify_code"],
            "committee": data["committee"],
            "expires_at": data["expires_at"],
            "corrects": data["corrects"],
            "cells": data["cells"],
            # Check offline: Ed25519 over exactly `snapshot`, with the published key `key_id`.
            "snapshot": item.alert.snapshot,
            "signature": item.alert.signature,
            "key_id": item.alert.key_id,
        },
    }


# --- CAP 1.2 -----------------------------------------------------------------------------------


def sender() -> str:
    return f"alerts@{urlsplit(base_url()).hostname or 'localhost'}"


def identifier(alert_code: str) -> str:
    return f"defensa-{alert_code}"


def polygons(cells: Sequence[str]) -> list[str]:
    """CAP polygons ("lat,lng lat,lng ...", closed) of the outline of the cells."""
    out = []
    for ring in alert_map.outline(cells) if cells else []:
        points = [f"{lat:.5f},{lng:.5f}" for lat, lng in ring]
        if len(points) >= 3:
            out.append(" ".join([*points, points[0]]))
    return out


def _msg_type(item: Published) -> str:
    if not item.data["corrects"]:
        return "Alert"
    return "Cancel" if item.data["kind"] == AlertKind.FALSE_ALARM else "Update"


def cap_alert(item: Published) -> ET.Element:
    """One CAP 1.2 alert (a correction references the alert it corrects)."""
    data = item.data
    root = ET.Element(f"{{{CAP}}}alert")
    _sub(root, f"{{{CAP}}}identifier", identifier(data["alert"]))
    _sub(root, f"{{{CAP}}}sender", sender())
    _sub(root, f"{{{CAP}}}sent", cap_time(item.approved_at))
    _sub(root, f"{{{CAP}}}status", "Actual")
    _sub(root, f"{{{CAP}}}msgType", _msg_type(item))
    _sub(root, f"{{{CAP}}}scope", "Public")
    original = item.alert.corrects
    if data["corrects"] and original is not None and original.approved_at is not None:
        sent = cap_time(original.approved_at)
        _sub(root, f"{{{CAP}}}references", f"{sender()},{identifier(str(original.code))},{sent}")
    category, response, urgency, severity, certainty = CAP_TERMS[data["kind"]]
    for language in data["texts"]:
        info = _sub(root, f"{{{CAP}}}info")
        _sub(info, f"{{{CAP}}}language", CAP_LANGUAGE.get(language, language))
        _sub(info, f"{{{CAP}}}category", category)
        with translation.override(language):
            _sub(info, f"{{{CAP}}}event", str(AlertKind(data["kind"]).label))
        _sub(info, f"{{{CAP}}}responseType", response)
        _sub(info, f"{{{CAP}}}urgency", urgency)
        _sub(info, f"{{{CAP}}}severity", severity)
        _sub(info, f"{{{CAP}}}certainty", certainty)
        _sub(info, f"{{{CAP}}}effective", cap_time(item.approved_at))
        _sub(info, f"{{{CAP}}}expires", cap_time(item.expires_at))
        _sub(info, f"{{{CAP}}}senderName", data["committee_name"])
        _sub(info, f"{{{CAP}}}headline", headline(item, language))
        _sub(info, f"{{{CAP}}}description", text(item, language, Channel.EMAIL))
        advice = data.get("advice", {}).get(language)
        if advice:
            _sub(info, f"{{{CAP}}}instruction", advice)
        _sub(info, f"{{{CAP}}}web", compose.link(data["verify_code"]))
        area = _sub(info, f"{{{CAP}}}area")
        _sub(area, f"{{{CAP}}}areaDesc", str(data["place"].get(language, "")))
        for polygon in polygons(data["cells"]):
            _sub(area, f"{{{CAP}}}polygon", polygon)
    return root


def cap_feed(items: Sequence[Published], *, title: str, at: datetime) -> bytes:
    root = ET.Element(f"{{{ATOM}}}feed")
    updated = max((i.approved_at for i in items), default=at)
    _atom_head(root, title=title, self_url=f"{base_url()}/alertas/cap.xml", updated=updated)
    for item in items:
        entry = _entry(root, item, "es")
        content = _sub(entry, f"{{{ATOM}}}content", type="application/cap+xml")
        content.append(cap_alert(item))
    return _xml(root)
