"""Spanish by default, English on request: Babel catalogs and number formats per language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
LANGUAGES = ("es", "en")
DEFAULT = "es"
LOCALES = {"es": "es_MX", "en": "en_US"}
LANG_COOKIE = "immex_lang"


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def translations(lang: str) -> Translations:
    found = Translations.load(str(HERE / "locale"), [lang], domain="messages")
    if not isinstance(found, Translations):  # Babel falls back to no translation silently
        raise RuntimeError(f"the {lang} catalog is missing; compile it (docs/web.md)")
    return found


def number(value: Any, lang: str) -> str:
    """Quantities as the reader's locale writes them, every digit kept (no rounding)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (Decimal, int)):
        return format_decimal(value, locale=LOCALES[lang], decimal_quantization=False)
    return str(value)


def cell(value: Any, lang: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return number(value, lang)


def money(value: Any, lang: str) -> str:
    """An amount the engine wrote as a decimal string ("9159151.86"), as the reader writes numbers."""
    if isinstance(value, str) and value:
        try:
            return number(Decimal(value), lang)
        except ArithmeticError:
            return value
    return number(value, lang)


@cache
def environment(lang: str) -> Environment:
    """One Jinja2 environment per language (translations are installed once, never per request)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.globals["zip"] = zip
    env.filters["num"] = lambda v: number(v, lang)
    env.filters["cell"] = lambda v: cell(v, lang)
    env.filters["money"] = lambda v: money(v, lang)
    return env
