"""Agenda errors in the reader's language: the same mistakes as in test_units, worded in French
for a French organiser, and pydantic's and PyYAML's own messages never shown as they are."""

from __future__ import annotations

import pytest

from bot.agenda import AgendaError, parse_agenda
from bot.i18n import translator
from tests.agenda_samples import EXPERT_MEETING

FRENCH = translator("fr")


def _refusal(change: tuple[str, str]) -> AgendaError:
    with pytest.raises(AgendaError) as caught:
        parse_agenda(EXPERT_MEETING.replace(*change, 1))
    return caught.value


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("- challenge: What made", "- chalenge: What made"),
            "L’ordre du jour comporte une erreur : sessions n° 1 « Good practice during crisis » › prompts n° 1 › kind : "
            "doit être l’une des valeurs suivantes : challenge, recommendation, takeaway, question (ligne 20).",
        ),
        (("track: Room B", "trak: Room B"), "sessions n° 2 « Planning modalities » › trak : n’est pas une rubrique connue"),
        (
            ("timezone: Europe/Oslo", "timezone: Oslo"),
            "event › timezone : 'Oslo' n’est pas un nom de fuseau horaire comme Europe/Oslo (ligne 7)",
        ),
        (
            ('end: "11:00"', 'end: "08:00"'),
            "sessions n° 1 « Good practice during crisis » : la fin n’est pas postérieure au début (ligne 14).",
        ),
        (("sessions:", "sessions: ["), "L’ordre du jour n’est pas un fichier YAML valide, ligne"),
        (('start: "09:30"', 'start: "9h3O"'), "› start : '9h3O' : utilisez HH:MM, par ex. 09:30 (ou 2pm, 9:30am) (ligne 13)."),
        (("title: Planning modalities", "title: Planning: modalities"), "doit être entre guillemets droits"),
        (
            ("date: 2008-02-12", "date: 2008-02-14"),
            "le 2008-02-14 est en dehors des dates de l’événement (du 2008-02-11 au 2008-02-12) (ligne 24)",
        ),
        (("date: 2008-02-12", "date: 12/02/2008"), "utilisez AAAA-MM-JJ"),
        (("title: Funding modalities", "title: Planning modalities"), "a la même clé 'planning-modalities' que sessions n° 2"),
        (("track: Room B", "track: Room B\n    rapporteurs: [Jane Doe]"), "'Jane Doe' n’est pas un nom d’utilisateur Telegram"),
        (("track: Room C", "track: " + "C" * 130), "› track : est trop long : 120 caractères au maximum (ligne 36)"),
        (("  - title: Planning modalities\n    date", "  - date"), "sessions n° 2 › title : est obligatoire (ligne 23)"),
    ],
)
def test_agenda_errors_in_french(change: tuple[str, str], expected: str) -> None:
    refusal = _refusal(change)
    assert expected in refusal.render(FRENCH), refusal.render(FRENCH)


@pytest.mark.parametrize(
    "change",
    [
        ("- challenge: What made", "- chalenge: What made"),
        ("track: Room C", "track: " + "C" * 130),
        ("  - title: Planning modalities\n    date", "  - date"),
        ("place: Oslo, Norway", "place: [Oslo, Norway]"),
        ("disclaimer: The views", "retention_days: forever\n  disclaimer: The views"),
        ("sessions:", "sessions: ["),
    ],
)
def test_library_messages_are_never_shown(change: tuple[str, str]) -> None:
    """pydantic's and PyYAML's English leaks neither into the English nor into the French text."""
    refusal = _refusal(change)
    for text in (str(refusal), refusal.render(FRENCH)):
        assert "Input should" not in text and "Field required" not in text and "String should" not in text, text
        assert "while parsing" not in text and "expected ','" not in text, text


def test_several_problems_are_counted() -> None:
    broken = EXPERT_MEETING.replace("track: Room B", "trak: Room B", 1).replace("track: Room C", "trac: Room C", 1)
    for n in range(6):
        broken = broken.replace("disclaimer:", f"extra{n}: x\n  disclaimer:", 1)
    with pytest.raises(AgendaError) as caught:
        parse_agenda(broken)
    assert caught.value.render(FRENCH).endswith("(et 3 autres).")
    assert str(caught.value).startswith("The agenda has problems: ") and str(caught.value).endswith("(and 3 more).")
