"""Answers to dispatch requests sent by SMS or Signal: "SI 482913" or "NO 482913".

Registered after the shifts handler and before the hotline's. Shift offers use six-digit
codes too; a dispatch code is never one a shift offer holds, and the shifts handler leaves
the codes it does not know to this one. So this is the last handler that reads codes: a
code nobody can take (unknown, expired, or sent from a number that is not the confirmer's
own) gets the same answer shift offers give, and never reaches the hotline as a report.
Anything that is not shaped like an answer (None) goes on to the hotline.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from defensa.core.errors import ActionRefused
from defensa.incidents import dispatching
from defensa.incidents.models import Dispatch, DispatchStatus
from defensa.messaging.inbound import Inbound
from defensa.shifts.actions import language_of
from defensa.shifts.inbound import CODE_LENGTH, sent_by, unknown_code_answer
from defensa.shifts.inbound import YES as SHIFT_YES

YES = SHIFT_YES | {"VOY", "GO"}
NO = {"NO", "N"}


def _read(message: Inbound) -> tuple[bool | None, str] | None:
    """(True for yes, False for no, None for a bare code; the code), or None."""
    words = message.words()
    said: bool | None = None
    if len(words) == 2 and (words[0] in YES or words[0] in NO):
        said = words[0] in YES
        words = words[1:]
    if len(words) == 1 and words[0].isdigit() and len(words[0]) == CODE_LENGTH:
        return said, words[0]
    return None


def handle(message: Inbound) -> str | None:
    read = _read(message)
    if read is None:
        return None  # not an answer: the hotline takes it
    said, code = read
    offers = Dispatch.objects.filter(reply_code=code, status=DispatchStatus.OFFERED).select_related(
        "incident__committee", "person__home_committee"
    )
    # Codes are unique among open requests, but two made in the same instant could collide:
    # the sender's own number decides whose it is.
    mine = next((d for d in offers if sent_by(d.person, message.sender)), None)
    if mine is None:
        return unknown_code_answer()
    with translation.override(language_of(mine.person)):
        if said is None:
            return _("To answer, reply YES %(code)s if you can go, or NO %(code)s if not.") % {
                "code": code
            }
        try:
            dispatching.answer(dispatch=mine, accept=said, via=message.channel)
        except ActionRefused as exc:
            return exc.message
        if said:
            return _("Thank you: %(committee)s knows you are on the way. Stay safe.") % {
                "committee": mine.incident.committee.name
            }
        return _("Understood: we will ask someone else. Thank you.")
