"""Append-only, hash-chained audit log.

Every action writes one event inside its own transaction. Events chain per committee: each
event's hash covers the previous hash and all its fields, so editing, inserting or removing an
event is detected by `verify()` (and `manage.py verify_audit`). Sensitive values never enter the
log: callers pass `snapshot()`s, which record only that a sealed field changed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from defensa.core.models import AuditChainHead, AuditEvent

NETWORK_CHAIN = "network"
GENESIS = "0" * 64
SEALED = "<sealed>"

JSONValue = str | int | bool | None | list[Any] | dict[str, Any]


def snapshot(instance: Model, fields: Iterable[str], *, sealed: Iterable[str] = ()) -> dict:
    """Plain values of `fields` for before/after; for `sealed` fields only whether one is set."""
    out: dict[str, JSONValue] = {}
    for name in fields:
        out[name] = _plain(getattr(instance, name))
    for name in sealed:
        out[name] = SEALED if getattr(instance, name) else None
    return out


def _plain(value: Any) -> JSONValue:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Model):
        code = getattr(value, "code", None)
        return str(code) if code is not None else str(value.pk)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "chain": event.chain,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": str(event.actor) if event.actor else None,
        "committee": str(event.committee) if event.committee else None,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_code": event.object_code,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    *,
    actor: uuid.UUID | None,
    verb: str,
    target: Model | None = None,
    object_type: str = "",
    object_code: str = "",
    committee: uuid.UUID | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the committee's chain (or the network chain)."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_code = object_code or str(getattr(target, "code", target.pk))
    chain = str(committee) if committee else NETWORK_CHAIN
    # No savepoint: if the event cannot be written, the caller's whole action must fail.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _locked_head(chain)
        event = AuditEvent(
            chain=chain,
            seq=seq + 1,
            at=timezone.now(),
            actor=actor,
            committee=committee,
            verb=verb,
            object_type=object_type,
            object_code=object_code,
            before=_json_roundtrip(before),
            after=_json_roundtrip(after),
            prev_hash=prev_hash,
        )
        event.hash = _digest(event)
        event.save(force_insert=True)
        with connection.cursor() as cursor:
            cursor.execute(
                _head_sql("UPDATE {head} SET seq = %s, hash = %s WHERE chain = %s"),
                [event.seq, event.hash, chain],
            )
    return event


def _json_roundtrip(value: Mapping[str, Any] | None) -> dict | None:
    # Hash exactly what the database will give back. Floats are refused: PostgreSQL's jsonb
    # may hand them back in another form (1e20 as an integer), which would read as tampering.
    if value is None:
        return None
    data = json.loads(json.dumps(dict(value), default=str))
    _refuse_floats(data)
    return data


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("audit events hold no floats; record a string or an integer")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_floats(item)


# The chain head is read and moved with two plain statements: every write of the system passes
# here, and building them through the ORM cost ten times what running them does.
def _head_sql(statement: str) -> str:
    return statement.format(head=connection.ops.quote_name(AuditChainHead._meta.db_table))


def _read_head(chain: str) -> tuple[int, str] | None:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_head_sql("SELECT seq, hash FROM {head} WHERE chain = %s") + lock, [chain])
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _locked_head(chain: str) -> tuple[int, str]:
    found = _read_head(chain)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # created concurrently
    found = _read_head(chain)
    assert found is not None
    return found


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain} at #{self.seq}: {self.reason}"


def verify(*, chain: str | None = None) -> list[Break]:
    """Walk every chain (or one) and report each place where it does not hold.

    The heads are read first and events are checked up to them: events appended while the
    walk runs are left for the next one, so a busy system reports no false alarm.
    """
    breaks: list[Break] = []
    heads_query = AuditChainHead.objects.all()
    events = AuditEvent.objects.order_by("chain", "seq")
    if chain is not None:
        heads_query = heads_query.filter(chain=chain)
        events = events.filter(chain=chain)
    heads = {head.chain: (head.seq, head.hash) for head in heads_query}
    current: str | None = None
    expected_seq, prev = 1, GENESIS
    last: dict[str, tuple[int, str]] = {}
    for event in events.iterator(chunk_size=2000):
        limit = heads.get(event.chain)
        if limit is not None and event.seq > limit[0]:
            continue
        if event.chain != current:
            current, expected_seq, prev = event.chain, 1, GENESIS
        if event.seq != expected_seq:
            breaks.append(Break(event.chain, event.seq, f"expected #{expected_seq}: rows missing"))
        if event.prev_hash != prev:
            breaks.append(Break(event.chain, event.seq, "does not follow the previous event"))
        if _digest(event) != event.hash:
            breaks.append(Break(event.chain, event.seq, "contents do not match its hash"))
        expected_seq, prev = event.seq + 1, event.hash
        last[event.chain] = (event.seq, event.hash)
    for name, head in heads.items():
        seen = last.get(name, (0, GENESIS))
        if head != seen:
            breaks.append(Break(name, seen[0], "events after this one were removed"))
    # A chain begun during the walk has a head by now; one that still has none was tampered with.
    headless = last.keys() - heads.keys()
    if headless:
        present = set(
            AuditChainHead.objects.filter(chain__in=headless).values_list("chain", flat=True)
        )
        for name in sorted(headless - present):
            breaks.append(Break(name, 0, "chain has no head"))
    return breaks
