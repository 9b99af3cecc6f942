"""Which language a text message is written in, from a few common words per language.

Only a signal for the dispatcher ("who should call back") and for the language of our
replies: Spanish, English, Haitian Creole and Portuguese by their most common short words,
and K'iche' (or another Mayan language, by the glottal stops of its spelling) when such words
appear at all, even among Spanish ones. Nothing is guessed from a name, a number or a
place; words shared by two languages count for both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def words(text: str) -> frozenset[str]:
    """A word list written as text, one space apart."""
    return frozenset(text.split())


# Accent-free, lower case. Words that are common in another of these languages are left out
# ("yo", "se", "te" and "pa" are Spanish and Kreyòl; "no", "dos" and "do" are Spanish or English).
WORDS: dict[str, frozenset[str]] = {
    "es": words(
        """el la los las hay esta estan en y del con para por que una un son aqui ahi
        ahora ahorita calle esquina migra agentes llevaron frente cerca hola gracias carro
        carros camioneta camionetas senor senora muy ya pero hoy ayer donde cuando vi
        estacionados afuera tienda casa trabajo redada mi mis su sus hombres"""
    ),
    "en": words(
        """the is are there at on in and of to right now street corner agents they outside
        near please car cars van vans some people someone just here my we it was were parked
        taking hello thanks i this that with from front"""
    ),
    "ht": words(
        """gen ki nan li ap pou moun ak sou kounye kounyea imigrasyon lapolis lari kote isit
        kay machin mwen nou yon bo mesi bonjou bonswa anpil genyen pran arete ajan"""
    ),
    "pt": words(
        """um uma em na nas da das tem estao esta agora rua perto ajuda obrigado obrigada
        imigracao levaram muitos nao sim voce eu meu minha homens aqui policia carro
        vizinho"""
    ),
}
# On a tie, the language more of our callers write.
PREFERENCE = ("es", "en", "pt", "ht")
DEFAULT = "es"

# K'iche' words a Spanish speaker would not write (thank you, good, now, today, yesterday,
# people, woman, there is, and). A small list: it notices, it does not translate.
KICHE = words("maltyox maltiox utz wakamik wakami kamik iwir winaq ixoq k'o xuquje xuquje'")
# Glottalized consonants as Mayan alphabets write them (q'ij, tz'i', ch'ab'al, ajq'ij). A
# word-initial k' or t' is left out (Kreyòl writes "k'ap" and "t'ap" for "ki ap", "te ap"), and
# an inner one counts only before a vowel ("it's", "rock'n'roll").
MAYAN_SPELLING = re.compile(r"(?:q'|tz'|ch'|b')[a-z]|[a-z](?:k'|t')[aeiou]")
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})

# Names of languages as their speakers write them, for "we noted your language".
AUTONYMS = {
    "es": "español",
    "en": "English",
    "ht": "kreyòl",
    "pt": "português",
    "quc": "K'iche'",
    "myn": "maya",
}
# Languages our replies are written in (the complete catalogs); Spanish for every other.
REPLY_LANGUAGES = ("es", "en")
MAYAN = "myn"  # ISO 639-5: the Mayan languages, when we cannot tell which
KICHE_CODE = "quc"


@dataclass(frozen=True)
class Detected:
    language: str
    found: bool  # False: no word told us; the default was used


def tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9']+", plain)


def detect(text: str) -> Detected:
    words = tokens(text)
    if any(w in KICHE or w.rstrip("'") in KICHE for w in words):
        return Detected(KICHE_CODE, True)
    if any(MAYAN_SPELLING.search(w) for w in words):
        return Detected(MAYAN, True)
    # Contractions count by their parts: "it's" is "it" and "s".
    bare = [part for w in words for part in w.split("'") if part]
    scores = {lang: sum(w in WORDS[lang] for w in bare) for lang in PREFERENCE}
    best = max(PREFERENCE, key=lambda lang: scores[lang])  # max keeps the first on a tie
    if scores[best] == 0:
        return Detected(DEFAULT, False)
    return Detected(best, True)


def reply_language(language: str) -> str:
    return language if language in REPLY_LANGUAGES else "es"
