"""The catalog of what a person reads in a report: headings, header block and titles in es/en.

Data in ``labels.yaml`` beside this module (one entry per column key, with its kind of
number format), loaded strictly once. A column key the catalog does not know is shown
as written, as text: a new column never breaks a report, and a test lists the keys of
every report against the catalog.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from immex.rules import read_yaml

Lang = Literal["es", "en"]
LANGUAGES: tuple[Lang, ...] = ("es", "en")
KINDS = frozenset({"text", "code", "pedimento", "id", "count", "qty", "money", "pct", "date", "bool", "term"})


class CatalogError(ValueError):
    """labels.yaml is malformed."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    kind: str
    es: str
    en: str

    def label(self, lang: Lang) -> str:
        return self.es if lang == "es" else self.en


def _texts(entry: Any, where: str) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise CatalogError(f"labels.yaml: {where} must be a mapping")
    missing = [lang for lang in LANGUAGES if not str(entry.get(lang, "")).strip()]
    if missing:
        raise CatalogError(f"labels.yaml: {where} has no text for {', '.join(missing)}")
    return {lang: str(entry[lang]) for lang in LANGUAGES}


@cache
def _catalog() -> dict[str, Any]:
    data = read_yaml("labels.yaml", __package__ or "immex.reports")
    if set(data) != {"languages", "columns", "block", "terms", "titles", "sentences"}:
        raise CatalogError(
            f"labels.yaml: sections {sorted(data)} are not languages, columns, block, terms, titles, "
            "sentences"
        )
    columns: dict[str, Column] = {}
    for key, entry in data["columns"].items():
        texts = _texts(entry, f"columns.{key}")
        if entry.get("kind") not in KINDS:
            raise CatalogError(
                f"labels.yaml: columns.{key}.kind {entry.get('kind')!r} is not one of {sorted(KINDS)}"
            )
        columns[key] = Column(key, entry["kind"], texts["es"], texts["en"])
    block = {key: _texts(entry, f"block.{key}") for key, entry in data["block"].items()}
    titles = {key: _texts(entry, f"titles.{key}") for key, entry in data["titles"].items()}
    terms = {key: _texts(entry, f"terms.{key}") for key, entry in data["terms"].items()}
    sentences = {key: _sentence(entry, key) for key, entry in data["sentences"].items()}
    return {"columns": columns, "block": block, "terms": terms, "titles": titles, "sentences": sentences}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _sentence(entry: Any, key: str) -> dict[str, str]:
    texts = {lang: " ".join(text.split()) for lang, text in _texts(entry, f"sentences.{key}").items()}
    if _fields(texts["es"]) != _fields(texts["en"]):
        raise CatalogError(f"labels.yaml: sentences.{key} has other placeholders in es than in en")
    return texts


def column(key: str) -> Column:
    """The catalog entry of a column key (an unknown key is its own label, as text)."""
    known: dict[str, Column] = _catalog()["columns"]
    return known.get(key) or Column(key, "text", key, key)


def known_columns() -> frozenset[str]:
    return frozenset(_catalog()["columns"])


def block_text(key: str, lang: Lang) -> str:
    block: dict[str, dict[str, str]] = _catalog()["block"]
    return block[key][lang]


def term(word: str, lang: Lang) -> str:
    """A word of the ledger (``overdue``, ``return`` ...) as a person reads it; unknown words as written."""
    terms: dict[str, dict[str, str]] = _catalog()["terms"]
    return terms[word][lang] if word in terms else word


def title(name: str, lang: Lang, fallback: str = "") -> str:
    """A report's title by its command name (``balances``, ``anexo24`` ...)."""
    titles: dict[str, dict[str, str]] = _catalog()["titles"]
    return titles[name][lang] if name in titles else fallback or name


def sentence(key: str, lang: Lang, **values: object) -> str:
    """A sentence of the catalog in ``lang`` with its placeholders filled (KeyError on an unknown key)."""
    sentences: dict[str, dict[str, str]] = _catalog()["sentences"]
    return sentences[key][lang].format(**values)


class Reason(str):
    """A sentence of the catalog that is also its English text: why a cost is missing, where a rate
    comes from. Code that reads it as a ``str`` (tests, counts by reason) sees English; a
    report cell shows :meth:`text` in the report's language. A value may itself be a Reason
    (rendered in the same language)."""

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, **values: object) -> Reason:
        made = super().__new__(cls, _render(key, "en", values))
        made.key, made.values = key, values
        return made

    def text(self, lang: Lang) -> str:
        return _render(self.key, lang, self.values)

    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, object]]]:  # copied and pickled whole
        return _rebuilt, (self.key, self.values)


def _rebuilt(key: str, values: dict[str, object]) -> Reason:
    return Reason(key, **values)


def _render(key: str, lang: Lang, values: dict[str, object]) -> str:
    shown = {k: v.text(lang) if isinstance(v, Reason) else v for k, v in values.items()}
    return sentence(key, lang, **shown)


def in_lang(text: str, lang: Lang) -> str:
    """``text`` in ``lang`` when it is a :class:`Reason`, else as written."""
    return text.text(lang) if isinstance(text, Reason) else text


def parse_lang(value: str) -> Lang:
    """``es`` or ``en`` (case-insensitive); ValueError naming both otherwise."""
    lowered = value.strip().lower()
    for lang in LANGUAGES:
        if lowered == lang:
            return lang
    raise ValueError(f"{value!r} is not a language of the reports: use es or en")
