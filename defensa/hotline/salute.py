"""Reading SALUTE facts (size, activity, location, uniform/agency, time, equipment) out of what
people write or say, in Spanish, English and Haitian Creole.

Plain keyword rules, so a dispatcher can always see why a report was read the way it was
(`Reading.because`). Nothing is guessed that the words do not say.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from defensa.hotline.models import Activity, Agency

# Each rule: the category and the words (accent-free, lower case) that signal it.
ACTIVITY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (
        Activity.ARREST,
        (
            "arresto",
            "arrestando",
            "arrestaron",
            "arrestan",
            "detenido",
            "detenida",
            "detuvieron",
            "deteniendo",
            "se llevaron",
            "se lo llevaron",
            "esposado",
            "arrest",
            "arrested",
            "detained",
            "detaining",
            "taking someone",
            "took someone",
            "handcuff",
            "arete",
            "yo arete",
            "yo pran",
        ),
    ),
    (Activity.RAID, ("redada", "operativo", "raid", "rafle", "allanamiento", "tocando puertas")),
    (Activity.CHECKPOINT, ("reten", "punto de control", "checkpoint", "road block", "roadblock")),
    (
        Activity.SURVEILLANCE,
        (
            "vigilando",
            "observando",
            "esperando",
            "estacionad",
            "parked",
            "watching",
            "waiting",
            "sitting outside",
            "ap veye",
            "ap tann",
        ),
    ),
    (Activity.PATROL, ("patrullando", "dando vueltas", "patrol", "driving around", "circling")),
]

AGENCY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (Agency.ICE, ("ice", "la migra", "migra", "inmigracion", "immigration", "imigrasyon", "ero")),
    (Agency.CBP, ("border patrol", "patrulla fronteriza", "cbp", "la border")),
    (Agency.SHERIFF, ("sheriff", "alguacil", "cherif")),
    (Agency.POLICE, ("policia", "police", "cops", "patrulla", "polis")),
]

EQUIPMENT_WORDS = (
    "chaleco",
    "chalecos",
    "vest",
    "vests",
    "camioneta",
    "camionetas",
    "van",
    "vans",
    "suv",
    "truck",
    "trucks",
    "carro sin placas",
    "unmarked",
    "arma",
    "armas",
    "rifle",
    "rifles",
    "gun",
    "guns",
    "escudo",
    "shield",
    "perros",
    "dogs",
    "drone",
)

# Places where enforcement does particular harm: a report there is more urgent.
SENSITIVE_WORDS = (
    "escuela",
    "school",
    "lekol",
    "corte",
    "court",
    "tribunal",
    "iglesia",
    "church",
    "legliz",
    "hospital",
    "clinica",
    "clinic",
    "trabajo",
    "work",
    "fabrica",
    "factory",
)

NOW_WORDS = ("ahora", "ahorita", "ahora mismo", "en este momento", "now", "right now", "kounye a")
PAST_WORDS = ("ayer", "anoche", "yesterday", "last night", "la semana pasada", "last week", "yè")

NUMBER_WORDS = {
    "un": 1,
    "una": 1,
    "uno": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "twa": 3,
    "cuatro": 4,
    "four": 4,
    "kat": 4,
    "cinco": 5,
    "five": 5,
    "senk": 5,
    "seis": 6,
    "six": 6,
    "siete": 7,
    "seven": 7,
    "ocho": 8,
    "eight": 8,
    "diez": 10,
    "ten": 10,
    "varios": 3,
    "several": 3,
    "muchos": 10,
    "many": 10,
}
COUNTED = (
    "agente",
    "agentes",
    "agent",
    "agents",
    "oficial",
    "oficiales",
    "officer",
    "officers",
    "carro",
    "carros",
    "car",
    "cars",
    "camioneta",
    "camionetas",
    "van",
    "vans",
    "vehiculo",
    "vehiculos",
    "vehicles",
    "trucks",
    "hombres",
    "men",
    "ajan",
    "machin",
)
ZIP = re.compile(r"(?<!\d)(\d{5})(?!\d)")

URGENCY: dict[str, int] = {
    Activity.ARREST: 90,
    Activity.RAID: 80,
    Activity.CHECKPOINT: 60,
    Activity.SURVEILLANCE: 40,
    Activity.PATROL: 30,
    Activity.OTHER: 20,
    Activity.UNKNOWN: 20,
}


def plain(text: str) -> str:
    """Lower case, accents removed, spaces squeezed: how the rules read text."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    spaced = re.sub(r"[^\w\s]", " ", stripped)
    return " " + " ".join(spaced.split()) + " "


def _has(text: str, word: str) -> bool:
    return f" {word} " in text or (len(word) > 5 and word in text)


@dataclass
class Reading:
    activity: str = Activity.UNKNOWN
    agency: str = Agency.UNKNOWN
    size: int | None = None
    equipment: list[str] = field(default_factory=list)
    zip_code: str = ""
    now: bool | None = None  # True: happening now; False: in the past; None: not said
    sensitive_place: bool = False
    because: list[str] = field(default_factory=list)

    def urgency(self, *, trusted: bool = False) -> int:
        score = URGENCY.get(self.activity, 20)
        if self.now:
            score += 10
        if self.sensitive_place:
            score += 10
        if trusted:
            score += 5
        if self.now is False:
            score -= 30  # already over: it matters, but after what is happening now
        return max(0, min(100, score))


def _count(tokens: list[str]) -> tuple[int | None, str]:
    """A number just before (or two words before) a counted noun: "3 agents", "dos carros
    negros", "muchos agentes"."""
    for index, token in enumerate(tokens):
        if token not in COUNTED:
            continue
        for back in (1, 2):
            if index - back < 0:
                break
            amount = tokens[index - back]
            number = (
                int(amount) if amount.isdigit() and len(amount) <= 3 else NUMBER_WORDS.get(amount)
            )
            if number:
                return number, " ".join(tokens[index - back : index + 1])
    return None, ""


def read(text: str) -> Reading:
    """What the words say, with the words that said it."""
    words = plain(text)
    found = Reading()
    for activity, keywords in ACTIVITY_WORDS:
        hit = next((k for k in keywords if _has(words, k)), None)
        if hit:
            found.activity = activity
            found.because.append(f"activity:{hit}")
            break
    for agency, keywords in AGENCY_WORDS:
        hit = next((k for k in keywords if _has(words, k)), None)
        if hit:
            found.agency = agency
            found.because.append(f"agency:{hit}")
            break
    found.equipment = [w for w in EQUIPMENT_WORDS if _has(words, w)]
    if match := ZIP.search(text):
        found.zip_code = match.group(1)
        found.because.append(f"zip:{found.zip_code}")
    found.size, counted = _count(words.split())
    if found.size:
        found.because.append(f"size:{counted}")
    if any(_has(words, w) for w in NOW_WORDS):
        found.now = True
        found.because.append("time:now")
    elif any(_has(words, w) for w in PAST_WORDS):
        found.now = False
        found.because.append("time:past")
    place = next((w for w in SENSITIVE_WORDS if _has(words, w)), None)
    if place:
        found.sensitive_place = True
        found.because.append(f"place:{place}")
    return found
