"""Opt-in domain packs: hand-made lexicons of one field's concepts, enabled per event.

Theme grouping is domain-general by default (sentence embeddings). An organiser whose event
belongs to a field with a pack may enable it (agenda field ``domain_pack: peace-security``);
the pack's concepts then join the vectors, so that for instance "funders", "embassies" and
"bilateral partners" count as one point. A pack is never on unless the event names it.

``peace-security``: written from the vocabulary of peace, development, humanitarian and
security policy meetings (OECD-DAC, UN, World Bank usage), not from the evaluation set's
sentences. Entries are whole words; a trailing "*" makes a prefix; entries with spaces are
phrases matched on the normalised text. Its effect is measured in bench/bench_themes.py.
"""

from __future__ import annotations

import functools
import re

from bot.reports.lexical import WORD_RE, ConceptFinder, normalise

CONCEPTS: dict[str, tuple[str, ...]] = {
    "donor": (
        "donor*", "funder*", "bilateral*", "embass*", "contributor*", "development partner*",
        "international partner*", "partner countr*", "capitals", "oecd", "dac", "usaid",
        "dfid", "sida", "norad", "giz", "echo", "european union", "eu",
    ),
    "coordination": (
        "coordinat*", "co-ordinat*", "coheren*", "harmonis*", "harmoniz*", "align*",
        "duplicat*", "overlap*", "fragment*", "silo", "silos", "siloed", "parallel", "turf",
        "division of labour", "division of labor", "who is doing what", "who does what",
        "pool", "pooling", "synerg*", "complementar*", "whole-of-government",
        "whole of government", "collective*", "one voice", "as one", "flag*", "visibility",
        "side by side", "compet*", "map", "mapping", "fragmented", "scattered", "patchwork",
        "go it alone", "own agenda", "agendas",
    ),
    "money": (
        "fund", "funds", "funding", "funded", "money", "financ*", "fiscal", "budget*",
        "grant*", "disburs*", "envelope*", "earmark*", "unearmark*", "cash", "pledg*",
        "spend*", "spent", "invest*", "capital", "alloca*", "realloca*", "cost*", "expensive",
        "cheap*", "multi-year", "multiyear", "remittance*", "fiduciary", "audit*", "treasury",
        "guarantee*", "loan*", "replenish*", "resources", "payment*", "pay", "paid",
        "salar*", "wage*", "dollar*", "euro*", "contribution*", "co-financ*", "trust fund",
        "pooled fund", "basket fund", "pre-financ*",
    ),
    "risk": ("risk*", "risky", "tolerance", "appetite", "zero-risk", "lose", "lost", "loss*"),
    "flexibility": (
        "flexib*", "rigid*", "predictab*", "unpredictab*", "adapt*", "agile", "nimble",
        "crisis modifier*", "contingenc*", "redirect*", "reprogramm*",
    ),
    "un_system": (
        "un", "united nations", "secretariat", "resident coordinator*", "country team*",
        "agenc*", "funds and programmes", "new york", "geneva", "multilateral*", "world bank",
        "security council", "undp", "unicef", "wfp", "unhcr", "ocha", "dpo", "dppa",
        "peacebuilding commission", "peacebuilding fund", "system", "systems", "entit*",
        "executive board*", "governing board*",
    ),
    "bureaucracy": (
        "bureaucra*", "red tape", "paperwork", "procedur*", "rule", "rules", "rulebook*",
        "complian*", "administrat*", "approv*", "procure*", "reform*", "restructur*",
        "simplif*", "streamlin*", "delegat*", "headquarter*", "hq", "cumbersome", "heavy",
        "architecture", "structur*", "institutional", "layers", "template*", "form",
        "forms", "memorandum", "mou", "clearance*", "sign-off", "signed off", "mandate*",
        "machinery", "organigram*", "organisational chart*", "organizational chart*",
    ),
    "local": (
        "local*", "nation", "national*", "communit*", "grassroots", "civil society",
        "ngo", "ngos", "cso", "csos", "municipal*", "village*", "district*", "town*",
        "population*", "citizen*", "host government*", "host countr*", "country system*",
        "in-country", "indigenous", "customary", "traditional*", "ownership", "own",
        "owned", "owner*", "driver's seat", "drivers seat", "bottom-up", "bottom up",
        "context*", "affected people", "affected population*", "beneficiar*", "consult*",
        "legitima*", "from within", "blueprint*", "import*", "outsider*", "foreign*",
        "terrain", "people who live", "peacebuilders", "self-reliance", "capacit*",
    ),
    "humanitarian": (
        "humanitarian*", "relief", "emergenc*", "lifesaving", "life-saving", "disaster*",
        "drought*", "famine*", "food", "ration*", "tent*", "camp", "camps", "displace*",
        "refugee*", "idp", "idps", "shelter*", "cash transfer*", "neutral*", "impartial*",
        "independen*", "principled", "resilien*", "shock*", "recover*", "early recovery",
        "caseload*", "needs assessment*", "aid worker*", "lifeline*", "assistance",
        "protracted",
    ),
    "development": (
        "development", "developmental", "long-term", "longer-term", "long term",
        "sustainab*", "job", "jobs", "livelihood*", "school*", "education", "health",
        "social protection", "infrastructure", "growth", "econom*", "poverty", "income*",
        "employment", "private sector",
    ),
    "leadership": (
        "leader", "leaders", "leadership", "champion*", "in charge", "head", "heads",
        "head of mission", "heads of mission", "director*", "manager*", "management",
        "senior*", "minister", "ministers", "ambassador*", "political will", "personalit*",
        "individual*", "courage*", "vision*", "visionary", "incentiv*", "reward*",
        "apprais*", "at the top", "boss*", "chief*", "executive*", "stature", "convene*",
        "appoint*", "representative*", "special representative*", "srsg", "commitment",
        "charisma*", "people in charge", "decision-maker*", "decision maker*",
    ),
    "inclusion": (
        "inclusi*", "include", "women", "woman", "female*", "gender*", "girl*", "youth*",
        "young", "minorit*", "marginali*", "exclud*", "exclusion", "religious",
        "faith", "elder*", "participat*", "widen*", "broad", "broad-based",
        "represent*", "voice*", "quota*", "victim*", "survivor*", "seat at", "betray*",
        "everyone", "every community", "all groups",
    ),
    "peace_process": (
        "peace", "negotiat*", "talks", "mediat*", "settlement*", "accord*", "agreement*",
        "deal", "deals", "ceasefire*", "cease-fire*", "track two", "track-two",
        "track three", "track-three", "belligerent*", "warring", "parties", "faction*",
        "reconcil*", "spoiler*", "peace process*", "table", "signed", "armed groups",
        "rebels", "armed elites", "took up arms", "men with guns",
    ),
    "timing": (
        "time", "timeline*", "time-line*", "timing", "timed", "calendar*", "schedule*",
        "deadline*", "milestone*", "horizon", "horizons", "sequenc*", "quick win*",
        "quick-impact", "quick impact", "short-term", "short term", "decade*", "year",
        "years", "month", "months", "week*", "rotation*", "cycle*", "generation*",
        "clock*", "synchronis*", "synchroniz*", "phase*", "phasing", "exit*", "departure*",
        "leave", "leaving", "handover*", "hand over", "by the time", "roadmap*",
        "road map*", "benchmark*", "pace", "slow", "fast", "speed", "urgen*", "patien*",
        "too short", "too long", "step", "steps", "in advance", "late", "early", "quick*",
        "expire*", "renew*", "then",
    ),
    "planning": (
        "plan", "plans", "planning", "planned", "strateg*", "framework*", "target*",
        "result*", "outcome*", "objective*", "goal*", "priorit*", "jointly", "joint",
        "together", "common", "shared", "same", "agree*", "integrated",
    ),
    "warning": (
        "warning*", "early warning", "alert*", "signs", "signal*", "foresee*", "anticipat*",
        "predict*", "forecast*", "coming", "horizon scanning", "scan*", "monitor*",
        "watch*", "indicator*", "data", "analys*", "analyz*", "analyst*", "analytic*",
        "risk assessment*", "intelligence", "bad news", "prevent*", "conflict-sensitiv*",
        "conflict sensitiv*", "react*", "early action", "act early", "acting early",
        "escalat*", "flare-up*", "flare up*", "tension*", "notice", "spot", "spotting",
        "saw", "visible", "hate speech", "ignored", "nobody acted",
    ),
    "security_forces": (
        "security sector", "ssr", "army", "armies", "soldier*", "troop*", "police*",
        "policing", "officer*", "force", "forces", "defence", "defense", "armed forces",
        "ddr", "demobilis*", "demobiliz*", "disarm*", "fighter*", "combatant*", "ex-combatant*",
        "weapon*", "gun", "guns", "arms", "coup", "coups", "desert*", "barracks",
        "militia*", "commander*", "checkpoint*", "vetting", "vetted", "recruit*",
        "military", "militar*", "peacekeep*", "counter-terror*", "insurgen*",
        "counterinsurgen*", "stabilisation", "stabilization", "uniform*", "gendarm*",
    ),
    "justice_governance": (
        "justice", "court*", "judiciar*", "judge*", "prison*", "rule of law", "oversight",
        "parliament*", "accountab*", "abuse*", "human rights", "impunity", "corrupt*",
        "governance", "civilian control", "civilian oversight", "scrutiny", "transparen*",
        "state", "state-building", "statebuilding", "institution*", "ministr*",
        "government*", "public good", "elections", "electoral",
    ),
    "dialogue": (
        "dialogue*", "conversation*", "discuss*", "exchange*", "listen*", "honest*", "frank*",
        "candid*", "openly", "open", "trust", "mistrust", "distrust", "suspicio*",
        "understand*", "misunderstand*", "each other", "one another", "mutual*",
        "relationship*", "cultur*", "language*", "vocabular*", "jargon", "perspective*",
        "mindset*", "get to know", "fora", "forum*", "meet", "meeting*", "conference*",
        "second", "secondment*", "seconded", "posting*", "learn*", "blame*", "admit*",
        "naive", "logic", "safe space*", "informal*", "talk", "talking", "speak*",
    ),
    "three_communities": (
        "diplomat*", "diplomac*", "foreign ministry", "foreign affairs", "foreign office",
        "defence ministr*", "aid agenc*", "aid worker*", "civil-military",
        "civilian and military", "three communities", "three ds", "3d", "security actors",
        "development actors", "diplomatic", "development people", "security people",
        "development staff", "officials",
    ),
    "politics": (
        "politic*", "political", "politician*", "election*", "minister*", "parliament*",
        "press", "media", "television", "tv", "public opinion", "headline*",
        "communiq*", "announce*", "domestic", "back home", "capital", "capitals",
    ),
    "innovation": (
        "innovat*", "new approach*", "experiment*", "pilot*", "creative*", "rethink*",
        "novel", "technology", "digital",
    ),
}


def _compile_concepts(
    concepts: dict[str, tuple[str, ...]],
) -> tuple[
    dict[str, list[str]], list[tuple[str, str]], list[tuple[str, re.Pattern[str], str]]
]:
    exact: dict[str, list[str]] = {}
    prefixes: list[tuple[str, str]] = []
    phrases: list[tuple[str, re.Pattern[str], str]] = []
    for name, entries in concepts.items():
        for entry in entries:
            entry = normalise(entry)
            if " " in entry or "-" in entry or "'" in entry:
                body = re.escape(entry.rstrip("*")).replace(r"\-", r"[- ]?").replace(r"\ ", " ")
                tail = r"\w*" if entry.endswith("*") else r"\b"
                first = re.split(r"[ -]", entry)[0]
                phrases.append((first, re.compile(r"\b" + body + tail), name))
            elif entry.endswith("*"):
                prefixes.append((entry[:-1], name))
            else:
                exact.setdefault(entry, []).append(name)
    prefixes.sort()
    return exact, prefixes, phrases


_CONCEPT_EXACT, _CONCEPT_PREFIXES, _CONCEPT_PHRASES = _compile_concepts(CONCEPTS)


@functools.lru_cache(maxsize=65536)
def _word_concepts(word: str) -> tuple[str, ...]:
    found = list(_CONCEPT_EXACT.get(word, ()))
    if word.endswith("s") and len(word) > 3:
        found.extend(_CONCEPT_EXACT.get(word[:-1], ()))
    for prefix, name in _CONCEPT_PREFIXES:
        if word.startswith(prefix):
            found.append(name)
    return tuple(dict.fromkeys(found))


def concepts_of(text: str) -> list[str]:
    """Domain concepts a text mentions (each once, in lexicon order of discovery)."""
    return _concepts(normalise(text))


def _concepts(norm: str, words: list[str] | None = None) -> list[str]:
    if words is None:
        words = WORD_RE.findall(norm.replace("-", " "))
    present = set(words)
    found: list[str] = []
    for first, pattern, name in _CONCEPT_PHRASES:
        if first in present and pattern.search(norm):  # cheap check before the regex
            found.append(name)
    for word in words:
        found.extend(_word_concepts(word))
    return list(dict.fromkeys(found))


#: The packs an event may enable, by the name used in agendas and stored on the event.
DOMAIN_PACKS: dict[str, ConceptFinder] = {"peace-security": _concepts}


def concept_finder(pack: str) -> ConceptFinder:
    """The named pack's concept finder; ``KeyError`` for an unknown name."""
    return DOMAIN_PACKS[pack]
