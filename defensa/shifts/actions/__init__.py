"""Every write to the shift schedules. Each action is atomic and leaves an audit event."""

from __future__ import annotations

from defensa.shifts.actions._shared import language_of, slot_text, tz_of
from defensa.shifts.actions.calendar import create_calendar_feed, revoke_calendar_feed
from defensa.shifts.actions.notices import forget_old_offers, offer_slot, warn_about_gaps
from defensa.shifts.actions.schedule import (
    HORIZON,
    add_block,
    create_template,
    extend_schedules,
    forget_old_shifts,
    remove_block,
)
from defensa.shifts.actions.signups import (
    cancel_assignment,
    set_care_limits,
    set_on_call,
    sign_up,
)

__all__ = [
    "HORIZON",
    "add_block",
    "cancel_assignment",
    "create_calendar_feed",
    "create_template",
    "extend_schedules",
    "forget_old_offers",
    "forget_old_shifts",
    "language_of",
    "offer_slot",
    "remove_block",
    "revoke_calendar_feed",
    "set_care_limits",
    "set_on_call",
    "sign_up",
    "slot_text",
    "tz_of",
    "warn_about_gaps",
]
