"""Reports by text message: a short conversation in the sender's language, keywords, and limits.

Everything goes through the real webhook with Twilio's signature, as a phone's message would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from defensa import testing
from defensa.core import actions as core_actions
from defensa.core.models import AuditEvent
from defensa.hotline import actions, conversation, language, tasks
from defensa.hotline.models import Activity, Conversation, Report, Step
from defensa.hotline.tests.texting import (
    OTHER_PHONE,
    PHONE,
    counts,
    everything_stored,
    only_report,
    segments,
    sms,
)
from defensa.messaging.inbound import Inbound
from defensa.messaging.tests import fakes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def twilio(pilsen):
    with fakes.twilio() as fake:
        yield fake


def said(report: Report) -> list[str]:
    return [part["text"] for part in actions.read_content(report)["parts"]]


# --- The conversation -------------------------------------------------------------------------


def test_everything_in_one_message_is_confirmed_at_once() -> None:
    answer = sms("La migra está arrestando a un señor en la calle 18 y Blue Island, 60608, ahorita")
    assert answer.startswith("Recibido, gracias.")
    assert "nombre" in answer
    assert "LLAMENME" in answer
    report = only_report()
    assert (report.channel, report.language, report.zip_code) == ("sms", "es", "60608")
    assert report.activity == Activity.ARREST
    assert report.observed_at is not None  # "ahorita": it is happening now
    assert Conversation.objects.get().step == Step.DONE


def test_the_conversation_asks_only_for_what_is_missing() -> None:
    first = sms("Hay agentes de ICE con chalecos")
    assert "¿Dónde" in first
    assert "código postal" in first
    report = only_report()  # stored before any question is answered
    assert said(report) == ["Hay agentes de ICE con chalecos"]
    second = sms("Calle 26 y Pulaski, frente a la panadería")
    assert "¿Cuándo" in second
    third = sms("ahorita")
    assert third.startswith("Recibido, gracias.")
    report = only_report()
    assert said(report) == [
        "Hay agentes de ICE con chalecos",
        "Calle 26 y Pulaski, frente a la panadería",
        "ahorita",
    ]
    assert actions.read_content(report)["place"] == "Calle 26 y Pulaski, frente a la panadería"
    assert report.observed_at is not None


def test_a_message_that_says_where_and_when_is_asked_what() -> None:
    assert "¿Qué pasa?" in sms("hola")
    assert "¿Dónde" in sms("Dos carros negros sin placas, agentes armados")
    assert sms("en la 18 y Ashland").startswith("Recibido.")


def test_an_unanswered_question_is_not_asked_twice_when_the_words_answer_it() -> None:
    assert "¿Dónde" in sms("Redada en la fábrica")  # "fábrica" is a kind of place, not where
    # The answer to "where" also says when: nothing is left to ask.
    assert sms("Cermak y Western, ahora mismo").startswith("Recibido, gracias.")


@pytest.mark.parametrize(
    ("text", "what", "where", "when"),
    [
        ("hola", False, False, False),
        ("Buenas noches, hola", False, False, False),
        ("Migra", True, False, False),
        ("60608", False, True, False),
        ("La migra en Cermak y Pulaski", True, True, False),
        ("ICE at 18th and Ashland 20 minutes ago", True, True, True),
        ("ICE y la policía en la esquina", True, True, False),
        ("ICE y Policía", True, False, False),  # two agencies are not a crossing
        ("2 y 3 camionetas", True, False, False),
        ("Detuvieron a Juan y María", True, False, False),  # names are not a crossing
        ("migra en carros y camionetas", True, False, False),
        ("nan Flatbush ak Church", False, True, False),
        ("agentes frente a la escuela", True, False, False),  # which school?
        ("a las 3:15 pm", False, False, True),
        ("ya se fueron", False, False, True),
        ("A imigração está na rua agora", True, True, True),
    ],
)
def test_what_where_and_when_are_read_from_the_words(text, what, where, when) -> None:
    facts = conversation.facts_of(text, has_media=False)
    assert (facts.what, facts.where, facts.when) == (what, where, when)


def test_later_messages_add_to_the_same_report_and_are_acknowledged() -> None:
    sms("ICE agents at 18th and Ashland right now")
    assert sms("They took a man in a grey van") == "We added this to your report. Thank you."
    assert sms("thanks!") == ""  # no answer to thanks, which would invite another
    assert said(only_report())[-1] == "thanks!"


def test_english_is_answered_in_english() -> None:
    answer = sms("ICE agents outside the school on 26th street right now")
    assert answer.startswith("Received, thank you.")
    assert "CALL ME" in answer
    assert only_report().language == "en"


@pytest.mark.parametrize(
    ("text", "recorded"),
    [
        ("Imigrasyon ap arete moun nan lari a kounye a", "ht"),
        ("A imigração está na rua agora, levaram um vizinho", "pt"),
        ("Maltyox, la migra está en la 18", "quc"),
        ("Ri ajq'ij xinwil ri migra", "myn"),
    ],
)
def test_other_languages_are_recorded_and_answered_in_spanish(text, recorded) -> None:
    answer = sms(text)
    assert "Recibido" in answer
    assert only_report().language == recorded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La migra está en la esquina", "es"),
        ("There are two vans parked outside", "en"),
        ("Gen ajan imigrasyon devan kay la", "ht"),
        ("Tem policia na rua da escola", "pt"),
        ("it's ICE, don't go out", "en"),  # contractions are not Mayan glottal stops
        ("Polis la k'ap arete moun", "ht"),  # nor are Kreyòl's "k'ap"
        ("60608", "es"),  # nothing to go on: the hotline's first language
    ],
)
def test_language_is_read_from_common_words(text, expected) -> None:
    assert language.detect(text).language == expected


def test_a_first_message_without_words_learns_the_language_from_the_next() -> None:
    assert "¿Qué" in sms("60608")
    assert sms("Two agents are arresting someone right now").startswith("Received, thank you.")
    assert only_report().language == "en"


def test_the_sender_can_choose_a_language_at_any_time() -> None:
    assert (
        sms("English")
        == "We will answer you in English. Tell us what is happening, where and when."
    )
    assert Report.objects.count() == 0  # a choice alone is no report
    assert "Where is it happening?" in sms("Hay agentes de la migra")  # the choice holds
    assert only_report().language == "en"
    noted = sms("KREYÒL")
    assert noted.startswith("Anotamos su idioma: kreyòl.")
    assert "¿Dónde" in noted
    assert only_report().language == "ht"
    assert sms("portugues").startswith("Anotamos su idioma: português.")
    assert sms("Español").startswith("Le vamos a responder en español.")
    assert only_report().language == "es"


@pytest.mark.parametrize(
    "words", ["CALL ME", "call me!", "LLÁMENME", "llamenme", "Llámeme por favor"]
)
def test_call_me_makes_the_number_a_sealed_callback(words) -> None:
    sms("Migra en la 18 y Ashland ahora")
    assert actions.callback_of(only_report()) == ""  # not without asking
    answer = sms(words)
    assert "STOP" in answer or "BAJA" in answer
    report = only_report()
    assert actions.callback_of(report) == PHONE
    assert b"5550142" not in bytes(report.callback_sealed or b"")
    event = AuditEvent.objects.filter(verb="report.callback_set").get()
    assert event.after == {"callback_sealed": "<sealed>"}
    # Shredded with the day's contact key.
    days = 9
    core_actions.shred_expired_keys(now=timezone.now() + timedelta(days=days))
    assert actions.callback_of(Report.objects.get(pk=report.pk)) == ""
    assert said(Report.objects.get(pk=report.pk))  # the report itself stays


def test_call_me_as_a_first_message_is_a_report_with_a_callback() -> None:
    answer = sms("Llámenme")
    assert "se comunicará con usted" in answer
    assert "¿Qué pasa?" in answer
    assert actions.callback_of(only_report()) == PHONE
    sms("Hay agentes de ICE en la 18 y Ashland")
    confirmed = sms("ahora")
    assert "le van a llamar o escribir" in confirmed
    assert "LLAMENME" not in confirmed  # they asked already


def test_dispatchers_read_the_conversation_as_one_report(pilsen, dispatcher) -> None:
    sms("Hay agentes de ICE con chalecos")
    sms("Calle 26 y Pulaski")
    sms("LLÁMENME")
    report = only_report()
    assert report.committee == pilsen  # it came to Pilsen's number
    page = testing.staff_client(dispatcher).get(f"/staff/c/{pilsen.code}/reports/{report.code}/")
    html = page.content.decode()
    assert "Hay agentes de ICE con chalecos" in html
    assert "Calle 26 y Pulaski" in html
    assert f'href="tel:{PHONE}"' in html


def test_the_number_is_never_stored_unless_they_ask_for_a_call() -> None:
    sms("Migra en la 18 y Ashland ahora")
    sms("se llevaron a dos")
    stored = everything_stored()
    assert "5550142" not in stored
    assert "se llevaron" not in stored
    assert "Ashland" not in stored


# --- Keywords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["STOP", "stop", "Stop.", "BAJA", "Parar", "ALTO", "¡Alto!", "STOPALL", "UNSUBSCRIBE",
     "CANCEL", "END", "QUIT"],
)  # fmt: skip
def test_stop_ends_the_conversation_and_forgets_the_call_back(word) -> None:
    sms("Migra en la 18 y Ashland ahora")
    sms("LLÁMENME")
    assert actions.callback_of(only_report()) == PHONE
    answer = sms(word)
    assert "no le vamos a escribir ni llamar" in answer
    assert Conversation.objects.count() == 0
    report = only_report()
    assert actions.callback_of(report) == ""
    assert said(report) == ["Migra en la 18 y Ashland ahora"]  # kept; keywords are not words
    assert AuditEvent.objects.filter(verb="report.callback_withdrawn").count() == 1
    # Writing again is a new report.
    sms("otra vez la migra")
    assert Report.objects.count() == 2


def test_stop_from_someone_without_a_conversation_is_answered_and_writes_nothing() -> None:
    before = counts()
    assert sms("STOP").startswith("Done: we will not write or call you.")
    after = counts()
    assert after["seen"] == before["seen"] + 1  # the provider id, so a retry is ignored
    assert {**after, "seen": 0} == {**before, "seen": 0}


@pytest.mark.parametrize(
    "text",
    ["alto, la migra", "Alto la migra esta aqui", "STOP ICE is here", "baja de la camioneta"],
)
def test_a_keyword_inside_a_report_is_a_report(text) -> None:
    answer = sms(text)
    assert "escribir ni llamar" not in answer
    assert "not write" not in answer
    assert said(only_report()) == [text]
    assert Conversation.objects.count() == 1


@given(extra=st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12))
def test_a_keyword_followed_by_anything_more_is_not_a_keyword(extra) -> None:
    listed = {*conversation.KEYWORDS, *conversation.LANGUAGE_CHOICES}
    for word in listed:
        text = f"{word} {extra}"
        if conversation._whole(text) in listed:
            continue  # "CALL ME" and "BACK" make another keyword
        assert conversation.keyword_of(Inbound(channel="sms", sender=PHONE, text=text)) is None


def test_start_and_help_say_what_this_number_is() -> None:
    assert sms("START") == (
        "You can write to this number again. Tell us what is happening, where and when."
    )
    assert sms("alta").startswith("Puede volver a escribir a este número.")
    help_es = sms("AYUDA")
    assert "nombre" in help_es
    assert "BAJA" in help_es
    assert "dónde" in help_es
    help_en = sms("help", sender=OTHER_PHONE)
    assert "never ask your name" in help_en
    assert "STOP" in help_en
    assert Report.objects.count() == 0


def test_keywords_answer_in_the_conversations_language() -> None:
    sms("Hay agentes de la migra en la 18 ahora")
    assert "nombre" in sms("HELP")  # they write Spanish: Spanish, whatever the keyword


# --- Time -------------------------------------------------------------------------------------


def test_a_message_after_the_conversation_expires_starts_a_new_report(settings) -> None:
    start = timezone.now()
    with freeze_time(start):
        sms("Hay agentes de ICE")
    with freeze_time(start + timedelta(minutes=settings.DEFENSA_CONVERSATION_MINUTES - 1)):
        sms("en la 18 y Ashland")
    assert Report.objects.count() == 1
    with freeze_time(start + timedelta(minutes=settings.DEFENSA_CONVERSATION_MINUTES + 1)):
        assert "¿Dónde" in sms("Otra vez hay agentes de ICE")
    assert Report.objects.count() == 2
    assert Conversation.objects.count() == 1


def test_a_conversation_goes_on_past_midnight() -> None:
    with freeze_time(datetime(2026, 11, 27, 23, 55, tzinfo=UTC)):
        sms("Hay agentes de ICE")
    with freeze_time(datetime(2026, 11, 28, 0, 5, tzinfo=UTC)):
        assert "¿Cuándo" in sms("en la 18 y Ashland")
    with freeze_time(datetime(2026, 11, 28, 0, 6, tzinfo=UTC)):
        assert sms("ahora").startswith("Recibido, gracias.")
    assert Report.objects.count() == 1


def test_expired_conversations_are_forgotten(settings) -> None:
    start = timezone.now()
    with freeze_time(start):
        sms("Hay agentes de ICE")
        sms("Hay agentes de ICE", sender=OTHER_PHONE)
    with freeze_time(start + timedelta(minutes=settings.DEFENSA_CONVERSATION_MINUTES - 10)):
        sms("Migra otra vez", sender="+13125550177")
    with freeze_time(start + timedelta(minutes=settings.DEFENSA_CONVERSATION_MINUTES + 1)):
        assert tasks.forget_expired_conversations.call() == 2
    assert Conversation.objects.count() == 1
    assert Report.objects.count() == 3  # the reports stay


def test_two_first_messages_at_once_share_one_conversation() -> None:
    # A long text the carrier split in two: both parts arrive before either is stored.
    reports = [
        actions.receive_report(actions.Incoming(channel="sms", language="es", text=text))
        for text in ("Hay agentes de ICE en la 18 y", "Ashland, se llevaron a un señor")
    ]
    started = [
        actions.start_conversation(
            channel="sms",
            sender_hash="c-" + "0" * 32,
            report=report,
            language="es",
            language_source="detected",
            step=Step.WHEN,
        )
        for report in reports
    ]
    assert started[0].pk == started[1].pk
    assert started[1].report == reports[0]  # the next words go to the first report
    assert Report.objects.count() == 2  # and nothing either part said is lost


# --- Limits and other apps --------------------------------------------------------------------


def test_a_flooding_sender_gets_one_polite_answer_then_silence(settings) -> None:
    settings.DEFENSA_MESSAGE_BURST = 3
    with freeze_time(timezone.now()):
        answers = [sms(f"migra {n}") for n in range(6)]
        assert all(answers[:3])
        assert "demasiados mensajes" in answers[3]
        assert "too many messages" in answers[3]
        assert answers[4:] == ["", ""]
        # Someone else is not affected.
        assert "¿Dónde" in sms("Hay agentes de ICE", sender=OTHER_PHONE)
    assert Report.objects.count() == 2
    first = Report.objects.order_by("received_at")[0]
    assert said(first) == ["migra 0", "migra 1", "migra 2"]  # the rest was not accepted


def test_shift_replies_still_reach_the_shifts_app() -> None:
    assert "not valid" in sms("SI 123456")
    assert Report.objects.count() == 0


# --- What we send -----------------------------------------------------------------------------


def test_every_answer_is_short_in_both_languages() -> None:
    one_message = [
        conversation.RECEIVED,
        conversation.CONFIRM,
        conversation.CONFIRM_WITH_CALLBACK,
        conversation.ADDED,
        conversation.TELL_US,
        conversation.CALLBACK_SET,
        conversation.STOPPED,
        conversation.STARTED,
        conversation.ANSWER_IN_SPANISH,
        conversation.ANSWER_IN_ENGLISH,
    ]
    for code in ("es", "en"):
        with translation.override(code):
            for text in one_message:
                assert segments(str(text)) <= 2, (code, str(text))
            for question in conversation.QUESTIONS.values():
                asked = f"{conversation.RECEIVED} {question}"
                assert segments(asked) <= 2, (code, asked)
            assert segments(str(conversation.HELP)) <= 3, (code, str(conversation.HELP))
            note = str(conversation.NOTED_LANGUAGE) % {"language": "português"}
            assert segments(f"{note} {conversation.ASK_WHERE}") <= 3


def test_a_number_without_any_committee_says_it_is_not_taking_reports() -> None:
    from defensa.network.models import Committee

    Committee.objects.all().delete()
    assert "todavía no recibe reportes" in sms("hay migra en la esquina")
    assert not Report.objects.exists()
