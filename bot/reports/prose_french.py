"""How a participant's French statement can be set in a French report sentence.

The French report frames each representative statement so that nothing has to agree with the
participant's words: a clause follows « Il a été souligné que… », an infinitive follows « Il a
été recommandé de… », and anything else (a noun phrase, a question, a statement in another
language, one in the first person) is quoted after a colon, « … ». Small word lists decide
(no tagger), and French elision is applied where a template meets the statement (« que il » →
« qu’il », « de élaborer » → « d’élaborer »).
"""

from __future__ import annotations

import re
from typing import Literal

FrenchForm = Literal["clause", "imperative", "quote"]

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒæÆ-]+")
_FILLERS = re.compile(
    r"^(?:je|nous)\s+(?:pense|pensons|crois|croyons|estime|estimons|trouve|trouvons)\s+qu(?:e\s+|['’])"
    r"|^(?:à\s+mon\s+avis|selon\s+moi|personnellement|franchement),?\s+",
    re.IGNORECASE,
)
FRENCH_MARKERS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "un",
        "une",
        "est",
        "sont",
        "pour",
        "avec",
        "dans",
        "pas",
        "que",
        "qui",
        "nous",
        "vous",
        "sur",
        "plus",
        "très",
        "mais",
        "au",
        "aux",
        "ce",
        "cette",
        "ces",
        "il",
        "ils",
        "elle",
        "elles",
        "on",
        "faut",
        "doit",
        "doivent",
        "peut",
        "peuvent",
        "être",
        "leur",
        "leurs",
        "notre",
        "nos",
        "entre",
        "par",
        "ne",
        "et",
        "en",
        "de",
        "d",
        "l",
        "qu",
        "manque",
        "manquent",
        "trop",
        "moins",
        "sans",
    ]
)
ENGLISH_MARKERS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "in",
        "for",
        "is",
        "are",
        "be",
        "on",
        "with",
        "that",
        "not",
        "more",
        "should",
        "must",
        "need",
        "we",
        "they",
        "there",
        "this",
    ]
)
FIRST_PERSON = frozenset(["je", "j", "moi", "nous", "notre", "nos", "mon", "ma", "mes"])
SUBJECTS = frozenset(
    ["il", "ils", "elle", "elles", "on", "cela", "ceci", "ce", "c", "chacun", "chacune", "personne", "rien", "tout", "tous", "toutes"]
)
FINITE = frozenset(
    [
        "est",
        "sont",
        "a",
        "ont",
        "doit",
        "doivent",
        "faut",
        "peut",
        "peuvent",
        "manque",
        "manquent",
        "reste",
        "restent",
        "était",
        "étaient",
        "sera",
        "seront",
        "serait",
        "seraient",
        "devrait",
        "devraient",
        "pourrait",
        "pourraient",
        "n",
        "ne",
        "existe",
        "existent",
        "permet",
        "permettent",
        "demeure",
        "demeurent",
        "fait",
        "font",
        "va",
        "vont",
        "semble",
        "semblent",
        "dépend",
        "dépendent",
        "nécessite",
        "nécessitent",
        "empêche",
        "empêchent",
        "freine",
        "freinent",
        "limite",
        "limitent",
        "crée",
        "créent",
        "arrive",
        "arrivent",
        "change",
        "changent",
        "travaille",
        "travaillent",
        "reçoit",
        "reçoivent",
        "coûte",
        "coûtent",
        "souffre",
        "souffrent",
        "conduit",
        "conduisent",
        "mène",
        "mènent",
        "rend",
        "rendent",
        "devient",
        "deviennent",
    ]
)
INFINITIVES = frozenset(
    [
        "mettre",
        "prendre",
        "rendre",
        "faire",
        "dire",
        "lire",
        "écrire",
        "produire",
        "réduire",
        "construire",
        "inclure",
        "soutenir",
        "permettre",
        "transmettre",
        "étendre",
        "répondre",
        "défendre",
        "comprendre",
        "entreprendre",
        "reconnaître",
        "connaître",
        "suivre",
        "poursuivre",
        "résoudre",
        "traduire",
        "introduire",
        "conduire",
        "décrire",
        "inscrire",
        "admettre",
        "soumettre",
        "combattre",
        "atteindre",
        "joindre",
        "rejoindre",
        "restreindre",
        "promouvoir",
        "prévoir",
        "pourvoir",
        "revoir",
        "recevoir",
        "concevoir",
        "devoir",
        "pouvoir",
        "savoir",
        "valoir",
        "garantir",
        "établir",
        "renforcer",
        "investir",
        "définir",
        "choisir",
        "réunir",
        "agir",
        "bâtir",
        "fournir",
        "offrir",
        "ouvrir",
        "couvrir",
        "réfléchir",
        "saisir",
        "maintenir",
        "obtenir",
        "retenir",
        "tenir",
        "venir",
        "devenir",
        "parvenir",
        "prévenir",
        "intervenir",
        "réagir",
        "élargir",
        "enrichir",
        "réussir",
        "assouplir",
        "accueillir",
        "recueillir",
        "servir",
        "partir",
        "sortir",
        "être",
        "avoir",
    ]
)
NOUNS_IN_ER = frozenset(
    [
        "premier",
        "dernier",
        "hier",
        "cancer",
        "hiver",
        "mer",
        "fer",
        "cher",
        "fier",
        "amer",
        "enfer",
        "ver",
        "super",
        "laser",
        "leader",
        "manager",
        "cluster",
        "poster",
        "master",
        "léger",
        "danger",
        "étranger",
        "foyer",
        "loyer",
        "boucher",
        "plancher",
        "rocher",
    ]
)
VERBS_IN_IER = frozenset(
    [
        "étudier",
        "multiplier",
        "relier",
        "allier",
        "publier",
        "confier",
        "copier",
        "associer",
        "apprécier",
        "négocier",
        "envier",
        "oublier",
        "remercier",
        "nier",
        "rallier",
        "trier",
        "varier",
        "marier",
    ]
)
_VOWEL_START = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœæ]", re.IGNORECASE)
# An h that takes elision (« d’harmoniser »); the aspirated ones (« de hiérarchiser ») don't.
_MUTE_H = re.compile(r"^h(?:abit|abil|armoni|éberg|erit|ériter|istoir|omme|onor|onneur|orizon|ospital|ôpita|uman|umain|yp)", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text.replace("’", " ").replace("'", " "))]


def is_french(text: str) -> bool:
    """More French function words than English ones (a statement of one or two words counts as
    French unless it has an English one)."""
    words = tokens(text)
    french = sum(w in FRENCH_MARKERS for w in words)
    english = sum(w in ENGLISH_MARKERS for w in words)
    return french > english or (not english and len(words) <= 2)


def without_fillers(text: str) -> str:
    """« Je pense que les bailleurs… » → « les bailleurs… »: the hedge adds nothing reported."""
    return _FILLERS.sub("", text).strip()


def _infinitive(word: str) -> bool:
    if word in INFINITIVES:
        return True
    if len(word) < 5 or not word.endswith("er") or word in NOUNS_IN_ER:
        return False
    return not word.endswith("ier") or word.endswith("ifier") or word in VERBS_IN_IER


def form_of(text: str) -> FrenchForm:
    """How a cleaned French sentence can be reported: a clause, an infinitive, or quoted."""
    words = tokens(text)
    if not words or text.endswith("?") or not is_french(text) or words[0] in FIRST_PERSON:
        return "quote"
    if _infinitive(words[0]) and (len(words) == 1 or words[1] not in FINITE):
        return "imperative"
    if words[0] in SUBJECTS or any(w in FINITE for w in words[1:]):
        return "clause"
    return "quote"


def elides(word_start: str) -> bool:
    """Whether « que », « de » elide before this text."""
    return bool(_VOWEL_START.match(word_start) or _MUTE_H.match(word_start))


_JUNCTION = re.compile(r"\b([QqDd]u?)e \x00")


def elide_junctions(text: str) -> str:
    """Apply elision where a template's « que »/« de » meets the statement, marked by \\x00."""

    def join(match: re.Match[str]) -> str:
        after = text[match.end() :]
        return f"{match.group(1)}’" if elides(after) else match.group(0)

    return _JUNCTION.sub(join, text).replace("\x00", "")
