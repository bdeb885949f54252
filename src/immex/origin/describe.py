"""Facts a rule states in words, answered from the case: described goods, use, trade direction.

GN 11(o) names some goods by description ("drive-axles with differential ... of
subheading 8708.50"), by use ("for use in a heavy truck") or by the direction of trade
("For the purposes of trade between the territory of Canada and the territory of the
United States ..."). HS codes cannot decide these; the case says them:

- ``good.description`` / ``materials[].description``: a described good is named when
  every content word of one of the description's options appears in the case's text
  (plural, case, hyphens and quotes ignored); the words of a qualifier ("for vehicles of
  heading 8703", "of a kind used as ...") must appear as well, else the answer is open;
- ``good.use``: the vehicle the good is for (``passenger vehicle``, ``light truck``,
  ``heavy truck``, or anything else for "any other good");
- ``destination`` / ``exporter``: the USMCA countries of the trade.

Every function answers ``True`` / ``False`` / ``None`` (the case does not say: a person
must decide, and the determination is undetermined unless another alternative decides).
"""

from __future__ import annotations

import re
from functools import lru_cache

_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "any",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "its",
        "of",
        "on",
        "or",
        "other",
        "than",
        "that",
        "the",
        "their",
        "them",
        "thereof",
        "to",
        "with",
        "within",
        "without",
        "which",
        "whether",
        "not",
        "be",
        "been",
        "being",
        "kind",
        "used",
        "use",
    }
)
# where the core of a description ends and a qualifier begins
_QUALIFIER = re.compile(
    r",?\s*(?:whether or not\b|of a kind\b|other than\b|for use in\b|for vehicles\b|used (?:as|for|in)\b"
    r"|which\b|made of\b|in the wet state\b|containing\b|except\b|of a width\b|of a thickness\b)"
)
_WHETHER = re.compile(r",?\s*whether or not [^,;]*")
VEHICLES = ("passenger vehicle", "light truck", "heavy truck")
COUNTRIES = {"canada": "CA", "mexico": "MX", "united states": "US"}


def _words(text: str) -> list[str]:
    text = re.sub(r"[“”\"'’]", "", text.lower()).replace("-", " ").replace("/", " ")
    out = []
    for word in re.findall(r"[a-z0-9.]+", text):
        word = word.strip(".")
        if not word or word in _STOP:
            continue
        if len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("es") and word[:-2].endswith(("ss", "sh", "ch", "x")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def _options(core: str) -> list[list[str]]:
    """The goods a list names: "tubes, pipes, or hoses" -> tube | pipe | hose."""
    parts = re.split(r",\s*or\s+|\s+or\s+|,\s*|\s+and\s+|\s+nor\s+", core)
    return [w for w in (_words(p) for p in parts) if w]


_CODES = re.compile(
    r"\b(?:of )?(?:chapters?|headings?|subheadings?|tariff items?)\s+[\d.]+"
    r"(?:(?:\s+through\s+|,\s*|,?\s+or\s+|\s+and\s+)[\d.]+)*"
)
# a comma followed by one of these words starts a qualifier of the goods before it
# ("savory, crushed or ground")
_QUALIFYING_WORD = re.compile(
    r",\s*(?=(?:crushed|ground|neither|wholly|not|whether|of|in|with|without|containing|having|mounted|"
    r"unmounted|measuring|used|other)\b)"
)


def split_description(phrase: str) -> tuple[str, str]:
    """(core, qualifier) of a described good; the ``whether or not`` clauses qualify nothing."""
    text = re.sub(r"\s*\([^()]*\)", "", _WHETHER.sub("", phrase)).strip(" ,")  # "(mufflers)", "(PCAs)"
    cuts = [m.start() for m in (_QUALIFIER.search(text), _QUALIFYING_WORD.search(text)) if m is not None]
    if not cuts:
        return text, ""
    cut = min(cuts)
    return text[:cut].strip(" ,"), text[cut:].strip(" ,")


@lru_cache(maxsize=8192)  # pure; a batch asks the same few phrases of the same descriptions
def names(given: str, phrase: str) -> bool | None:
    """Whether the text ``given`` names the goods ``phrase`` describes; None when it cannot tell."""
    if not given.strip():
        return None
    have = set(_words(given))
    several = re.search(r"more than one of the following:\s*(?P<list>.+)$", phrase)
    if several:  # "assemblies incorporating more than one of the following: compressor, condenser, ..."
        items = _options(_CODES.sub("", several.group("list")))
        return sum(1 for item in items if all(w in have for w in item)) >= 2
    core, qualifier = split_description(phrase)
    core = _CODES.sub("", core)
    if not any(all(w in have for w in option) for option in _options(core)):
        return False
    if not qualifier:
        return True
    return _qualifier(have, qualifier)


def _qualifier(have: set[str], qualifier: str) -> bool | None:
    """A qualifier the given text must also satisfy: True when it says so, False when it says the
    opposite of a "neither ... nor" / "other than" qualifier, None when it does not say."""
    text = re.sub(r"\b(?:heading|subheading|tariff item)s?\b", "", qualifier)
    negative = re.match(r"^(?:neither|other than)\s+(?P<rest>.+)$", text)
    if negative:
        said = any(all(w in have for w in option) for option in _options(negative.group("rest")))
        return False if said else None
    options = _options(text) if len(text.split()) <= 5 else [_words(text)]
    return True if any(all(w in have for w in option) for option in options) else None


def use_matches(use: str, condition: str) -> bool | None:
    """Whether ``good.use`` is one of the vehicles a "for use in ..." condition names."""
    if not use.strip():
        return None
    wanted = [v for v in VEHICLES if v in condition.lower()]
    given = " ".join(_words(use))
    if not wanted:
        return None
    return any(" ".join(_words(v)) in given for v in wanted)


def trade_parties(text: str) -> frozenset[str]:
    """``{"CA", "US"}`` from "trade between the territory of Canada and the territory of the United
    States"."""
    lower = text.lower()
    return frozenset(code for name, code in COUNTRIES.items() if name in lower)


def trade_matches(parties: frozenset[str], exporter: str | None, destination: str | None) -> bool | None:
    """Whether the trade from ``exporter`` to ``destination`` is the trade between ``parties``."""
    if destination is None:
        return None
    origin = exporter or "MX"
    return {origin, destination} == set(parties)


def answered(answers: tuple[tuple[str, bool], ...], text: str) -> bool | None:
    """A person's answer to an asserted condition: the key equals the condition text, or begins it
    (at least 20 characters), whitespace and case ignored; None when not answered."""
    wanted = " ".join(text.lower().split())
    for key, value in answers:
        given = " ".join(key.lower().split()).strip(" .;:,")
        if given == wanted.strip(" .;:,") or (len(given) >= 20 and wanted.startswith(given)):
            return value
    return None
