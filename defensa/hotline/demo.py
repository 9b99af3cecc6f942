"""Demo hotline: a number per committee, legal-help text, and a morning's reports from every
channel, made through the real actions (so they are routed, read and sealed like any other)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from defensa.hotline import actions, line
from defensa.hotline.actions import Incoming
from defensa.hotline.models import Report
from defensa.network.models import Committee

NUMBERS = {
    "Comité de Defensa de Pilsen": "+13125550100",
    "Comité de Defensa de La Villita": "+17735550100",
    "Comité de Defensa de Aurora": "+17205550100",
}

LEGAL_HELP = {
    "es": (
        "Usted tiene derecho a guardar silencio y a no abrir la puerta sin una orden firmada "
        "por un juez. Para asesoría legal gratuita, deje un mensaje con la opción 2 y el equipo "
        "de documentación le devolverá la llamada."
    ),
    "en": (
        "You have the right to remain silent and not to open the door without a warrant "
        "signed by a judge. For free legal advice, leave a message with option 2 and the "
        "documentation team will call you back."
    ),
}

# (channel, language, minutes ago, text, place, ZIP, observed now)
REPORTS = [
    ("web", "es", 4, "Tres agentes de ICE deteniendo a un señor afuera de la panadería",
     "Calle 18 y Loomis", "60608", True),
    ("sms", "es", 9, "hay 2 camionetas blancas sin placas estacionadas frente a la escuela",
     "", "60608", True),
    ("whatsapp", "ht", 15, "Imigrasyon arete yon moun kounye a bò lekòl la", "", "60609", True),
    ("sms", "en", 22, "border patrol checkpoint on 26th street, two agents", "26th y Pulaski",
     "60623", True),
    ("web", "es", 40, "ayer hubo una redada en la fábrica, se llevaron a varios", "", "60632",
     False),
    ("signal", "es", 55, "carro de ICE dando vueltas por el parque", "Parque Harrison", "60608",
     False),
    ("web", "es", 70, "Agentes con chalecos de POLICE/ICE preguntando por un vecino",
     "Colfax y Havana", "80010", True),
]  # fmt: skip


def load() -> int:
    committees = Committee.objects.filter(region__network__name__contains="demo")
    for committee in committees:
        number = NUMBERS.get(committee.name)
        if number:
            line.add_number(actor=None, committee=committee, number=number)
        for language, text in LEGAL_HELP.items():
            line.set_legal_help(actor=None, committee=committee, language=language, text=text)
    now = timezone.now()
    for channel, language, minutes, text, place, zip_code, right_then in REPORTS:
        report = actions.receive_report(
            Incoming(
                channel=channel,
                language=language,
                text=text,
                place=place,
                zip_code=zip_code,
                observed_at=now - timedelta(minutes=minutes) if right_then else None,
            )
        )
        # The demo shows a morning of reports, not seven from the same second.
        Report.objects.filter(pk=report.pk).update(received_at=now - timedelta(minutes=minutes))
    return len(REPORTS)
