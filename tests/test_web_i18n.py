"""The web pages' language, through the real ASGI application (both database backends): the Mini
App answers in the signed-in user's language — their /language choice over their Telegram app's
— refusals before sign-in in the browser's, the room screen in its event's report language; and
no template holds a text outside the catalogue."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot.container import Services
from bot.services.views import UserRef
from storage.models import Event
from tests.conftest import ORGANISER
from tests.test_web_security import TOKEN, client, seeded  # noqa: F401 - the same app and data
from web.common import TEMPLATE_DIR
from web.telegram_auth import sign


def signed_in(telegram_id: int, language: str | None) -> dict[str, str]:
    user: dict[str, object] = {"id": telegram_id, "first_name": "X"}
    if language:
        user["language_code"] = language
    return {"X-Telegram-Init-Data": sign({"auth_date": str(int(time.time())), "user": json.dumps(user)}, TOKEN)}


async def test_the_editor_follows_the_users_choice_over_their_app(
    client: httpx.AsyncClient,  # noqa: F811 - the fixture imported above
    seeded: tuple[Services, int, int, list[int]],  # noqa: F811
) -> None:
    services, session_id, _named, _ = seeded
    url = f"/app/api/{session_id}/draft"
    english = (await client.get(url, headers=signed_in(2001, "en-GB"))).json()
    assert english["lang"] == "en" and english["title"] == "Report editor" and ">Approve</button>" in english["html"]
    french_app = (await client.get(url, headers=signed_in(2001, "fr-CA"))).json()
    assert french_app["lang"] == "fr" and ">Approuver</button>" in french_app["html"]
    assert french_app["labels"]["save"] == "Enregistrer" and french_app["labels"]["working"] == "Enregistrement…"

    await services.languages.choose(UserRef(2001), "fr")  # /language: French, on an English phone
    chosen = (await client.get(url, headers=signed_in(2001, "en"))).json()
    assert chosen["lang"] == "fr" and "Synthèse" in chosen["html"] and "Summary" not in chosen["html"]
    refused = (await client.get(url, headers=signed_in(3000, "fr"))).json()  # a participant, not a rapporteur
    assert refused["error"] == "role"
    assert refused["message"] == "Seuls les rapporteurs et les organisateurs de cette session peuvent modifier son rapport."


async def test_before_sign_in_the_browsers_language(
    client: httpx.AsyncClient,  # noqa: F811 - the fixture imported above
    seeded: tuple[Services, int, int, list[int]],  # noqa: F811
) -> None:
    _services, session_id, _named, _ = seeded
    french = {"Accept-Language": "de-DE, fr;q=0.8, en;q=0.5"}
    missing = (await client.get(f"/app/api/{session_id}/draft", headers=french)).json()
    assert missing["error"] == "missing" and missing["lang"] == "fr"
    assert missing["message"] == "Ouvrez cette page depuis le bot dans Telegram (aucune donnée de connexion ne l’accompagnait)."
    shell = await client.get(f"/app/editor/{session_id}", headers=french)
    assert '<html lang="fr">' in shell.text and "<title>Éditeur de rapport</title>" in shell.text
    assert 'data-network="la connexion a été perdue"' in shell.text and "Chargement…" in shell.text
    english = await client.get(f"/app/editor/{session_id}", headers={"Accept-Language": "fr;q=0.3, en-US"})
    assert '<html lang="en">' in english.text and "Loading…" in english.text
    broken = await client.get("/screen/not-a-token", headers=french)
    assert broken.status_code == 404 and "Ce lien d’écran ne fonctionne pas" in broken.text


async def test_the_screen_speaks_its_events_report_language(
    client: httpx.AsyncClient,  # noqa: F811 - the fixture imported above
    seeded: tuple[Services, int, int, list[int]],  # noqa: F811
) -> None:
    services, session_id, _named, _ = seeded
    link = await services.screens.issue(UserRef(ORGANISER), session_id)
    english = await client.get(f"/screen/{link.token}", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in english.text and "Join and share your view" in english.text
    async with services.db.session() as db:
        await db.execute(update(Event).values(report_language="fr"))
    french = await client.get(f"/screen/{link.token}")
    assert '<html lang="fr">' in french.text
    for text in ("Rejoignez la session et donnez votre avis", "Code de participation", "Contributions par question", "Défis"):
        assert text in french.text
    assert "Join and share" not in french.text and ">Challenges<" not in french.text


# Jinja tags, HTML tags and comments, entities; what is left is text a person reads.
_MARKUP = re.compile(r"\{% block body_class %\}.*?\{% endblock %\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>|&[a-z]+;", re.DOTALL)


@pytest.mark.parametrize("template", sorted(path.name for path in TEMPLATE_DIR.glob("*.html")))
def test_templates_hold_no_text_outside_the_catalogue(template: str) -> None:
    """Every word on a page goes through `_()`/`ngettext`/`pgettext` (and so through the catalogue)."""
    source = (TEMPLATE_DIR / template).read_text(encoding="utf-8")
    words = re.findall(r"[A-Za-zÀ-ÿ]{2,}", _MARKUP.sub(" ", source))
    assert words == []
    without_jinja = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.DOTALL)
    for attribute in re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', without_jinja):
        assert not re.search(r"[A-Za-z]{2,}", attribute), attribute


def test_the_scan_finds_a_stray_word(tmp_path: Path) -> None:
    assert re.findall(r"[A-Za-zÀ-ÿ]{2,}", _MARKUP.sub(" ", '<p class="x">{{ _("Fine") }} Stray</p>')) == ["Stray"]
