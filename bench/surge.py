"""A labelled surge of hotline reports: several simultaneous enforcement operations in one metro
area, reported by frightened neighbours over two hours, with the noise real hotlines get.

Each operation has a place, a start, a duration, an agency and an activity; its reporters
write short texts in Spanish, English or Haitian Creole, naming what they saw in their own
words. Noise: false tips scattered over the city (each its own label), repeated callers (one
person reporting the same thing two or three times), wrong addresses (a report placed at the
wrong ZIP code, kilometres off), reports placed only by their ZIP code's centre, and pairs of
operations a kilometre or two apart at the same time (different agencies, different acts).

`generate(seed)` returns the reports in arrival order with their true label; the same seed
always gives the same surge.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Chicago's south-west side, where several operations at once are realistic.
CENTER = (41.835, -87.690)
RADIUS_KM = 9.0
SPAN_MINUTES = 180

AGENCIES = {
    "ice": ["ICE", "la migra", "inmigración", "ICE", "immigration", "imigrasyon"],
    "cbp": ["Border Patrol", "la patrulla fronteriza", "CBP", "la border"],
    "police": ["la policía", "police", "policías", "polis"],
}
ACTIVITIES = {
    "arrest": [
        "se llevaron a un señor",
        "están deteniendo a alguien",
        "arrested a man",
        "detaining people",
        "yo arete yon moun",
        "esposaron a un muchacho",
    ],
    "raid": ["hay una redada", "operativo en", "raid at", "allanamiento en", "tocando puertas en"],
    "checkpoint": ["un retén en", "punto de control en", "checkpoint on", "roadblock at"],
    "surveillance": [
        "camionetas estacionadas frente a",
        "están esperando afuera de",
        "parked outside",
        "watching",
        "ap veye",
    ],
    "patrol": ["dando vueltas por", "patrullando", "driving around", "circling"],
}
PLACES = [
    ("la escuela", "the school", "lekòl la"),
    ("la panadería", "the bakery", "boulanjri a"),
    ("la fábrica de tortillas", "the tortilla factory", "faktori a"),
    ("el Home Depot", "the Home Depot", "Home Depot la"),
    ("la iglesia", "the church", "legliz la"),
    ("la lavandería", "the laundromat", "lavandri a"),
    ("el parque", "the park", "pak la"),
    ("la clínica", "the clinic", "klinik la"),
    ("el supermercado", "the grocery store", "makèt la"),
    ("la parada del camión", "the bus stop", "arè bis la"),
]
STREETS = [
    *("Cermak", "Ashland", "Blue Island", "Pulaski", "Kedzie", "26th", "31st", "Archer"),
    *("Western", "Damen", "California", "47th", "Halsted", "Loomis", "18th", "Cicero"),
]
VEHICLES = ["camionetas negras", "SUVs", "vans blancas", "carros sin placas", "unmarked cars"]
NOISE = [
    "dicen que hay migra por todos lados",
    "vi un carro raro",
    "alguien dijo que viene ICE mañana",
    "is ICE in the area today?",
    "mi vecina escuchó que hay redadas",
    "helicóptero volando bajo",
    "policía parando carros",
    "there are cops everywhere",
    "gen imigrasyon nan zòn nan?",
    "un señor con chaleco",
]


@dataclass(frozen=True)
class Report:
    label: int
    at: float  # seconds from the start of the surge
    lat: float
    lng: float
    text: str
    placed_by_zip: bool  # the point is the centre of the ZIP it named, not a pin


@dataclass(frozen=True)
class Operation:
    label: int
    lat: float
    lng: float
    start: float
    minutes: float
    agency: str
    activity: str
    place: int
    streets: tuple[str, str]


def _offset(lat: float, lng: float, km_north: float, km_east: float) -> tuple[float, float]:
    return (
        lat + km_north / 110.574,
        lng + km_east / (111.320 * math.cos(math.radians(lat))),
    )


def _somewhere(rng: random.Random, radius: float = RADIUS_KM) -> tuple[float, float]:
    r = radius * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    return _offset(*CENTER, r * math.cos(angle), r * math.sin(angle))


def _zip_centre(lat: float, lng: float, rng: random.Random) -> tuple[float, float]:
    """Where a report that gave only its ZIP code is placed: the ZIP's centre, which is up to
    two or three kilometres from where things happened. Without the offline tables here, a
    grid of ~3 km squares stands for ZIP areas."""
    size = 3.0
    north = (lat - CENTER[0]) * 110.574
    east = (lng - CENTER[1]) * 111.320 * math.cos(math.radians(CENTER[0]))
    return _offset(
        *CENTER, (math.floor(north / size) + 0.5) * size, (math.floor(east / size) + 0.5) * size
    )


def _text(rng: random.Random, op: Operation) -> str:
    language = rng.choices(["es", "en", "ht"], weights=[6, 3, 1])[0]
    place = PLACES[op.place][{"es": 0, "en": 1, "ht": 2}[language]]
    agency = rng.choice(AGENCIES[op.agency]) if rng.random() < 0.75 else ""
    act = rng.choice(ACTIVITIES[op.activity]) if rng.random() < 0.8 else ""
    street = f"{op.streets[0]} y {op.streets[1]}" if rng.random() < 0.6 else op.streets[0]
    parts = [agency, act, place]
    if rng.random() < 0.5:
        parts.append(street)
    if rng.random() < 0.35:
        parts.append(f"{rng.randint(2, 6)} {rng.choice(VEHICLES)}")
    if rng.random() < 0.3:
        parts.append(
            "ahorita" if language == "es" else "right now" if language == "en" else "kounye a"
        )
    return " ".join(p for p in parts if p)


def operations(rng: random.Random, count: int) -> list[Operation]:
    ops: list[Operation] = []
    for label in range(count):
        if ops and rng.random() < 0.35:
            # A second operation near another one, at the same time: the hard case.
            near = rng.choice(ops)
            angle = rng.random() * 2 * math.pi
            distance = rng.uniform(1.0, 2.2)
            lat, lng = _offset(
                near.lat, near.lng, distance * math.cos(angle), distance * math.sin(angle)
            )
            start = near.start + rng.uniform(-15, 15) * 60
            agency = rng.choice([a for a in AGENCIES if a != near.agency])
            activity = rng.choice([a for a in ACTIVITIES if a != near.activity])
        else:
            lat, lng = _somewhere(rng)
            start = rng.uniform(0, SPAN_MINUTES - 30) * 60
            agency = rng.choices(list(AGENCIES), weights=[6, 2, 2])[0]
            activity = rng.choice(list(ACTIVITIES))
        ops.append(
            Operation(
                label=label,
                lat=lat,
                lng=lng,
                start=start,
                minutes=rng.uniform(20, 90),
                agency=agency,
                activity=activity,
                place=rng.randrange(len(PLACES)),
                streets=tuple(rng.sample(STREETS, 2)),  # type: ignore[arg-type]
            )
        )
    return ops


def generate(
    seed: int = 1,
    *,
    operations_count: int = 14,
    false_tip_share: float = 0.3,
    wrong_address_share: float = 0.06,
    zip_only_share: float = 0.3,
    repeat_share: float = 0.2,
) -> list[Report]:
    rng = random.Random(seed)  # noqa: S311 - a benchmark, not a secret
    reports: list[Report] = []
    for op in operations(rng, operations_count):
        reporters = max(2, int(rng.expovariate(1 / 7)) + 2)
        for _reporter in range(reporters):
            times = 1 + (rng.random() < repeat_share) * rng.randint(1, 2)
            for _again in range(times):
                at = op.start + rng.uniform(0, op.minutes) * 60
                lat, lng = _offset(op.lat, op.lng, rng.gauss(0, 0.25), rng.gauss(0, 0.25))
                by_zip = False
                if rng.random() < wrong_address_share:
                    angle = rng.random() * 2 * math.pi
                    off = rng.uniform(3, 6)
                    lat, lng = _offset(lat, lng, off * math.cos(angle), off * math.sin(angle))
                elif rng.random() < zip_only_share:
                    lat, lng = _zip_centre(lat, lng, rng)
                    by_zip = True
                reports.append(Report(op.label, at, lat, lng, _text(rng, op), by_zip))
    tips = int(len(reports) * false_tip_share / (1 - false_tip_share))
    for n in range(tips):
        lat, lng = _somewhere(rng, RADIUS_KM * 1.2)
        at = rng.uniform(0, SPAN_MINUTES) * 60
        reports.append(Report(10_000 + n, at, lat, lng, rng.choice(NOISE), False))
    reports.sort(key=lambda r: r.at)
    return reports
