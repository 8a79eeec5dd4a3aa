"""Every sentence the page shows, in the student's language: one catalogue per language
(digitpad/locales/<lang>.json, one key per sentence), numbers written the locale's way, and
the language picked from the menu or the browser.

The app's exceptions and status lines speak English (the HTTP API's JSON stays English);
`localize` finds such a sentence's key in the English catalogue and says it in another language.
Gradio's side (the labels it translates, a request's language) is in digitpad/gradio_locale.py:
the training workers load this module with the class's drawings and need no Gradio.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from string import Formatter

LOCALES = Path(__file__).resolve().parent / "locales"
ENGLISH = "en"
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch",
             "pt": "Português", "zh-CN": "简体中文", "ar": "العربية"}  # each in its own words
RIGHT_TO_LEFT = {"ar"}
# the locale's decimal sign, thousands separator and percent: "96 %" in French, "0,0001" in German
NUMBERS = {
    "en": (".", ",", "{}%"), "es": (",", ".", "{}\u00a0%"), "fr": (",", "\u202f", "{}\u00a0%"),
    "de": (",", ".", "{}\u00a0%"), "pt": (",", ".", "{}%"), "zh-CN": (".", ",", "{}%"),
    "ar": (".", ",", "{}\u066a"),
}
SEPARATOR = " · "  # status lines join their parts with it


def load_catalogues() -> dict[str, dict[str, str]]:
    """Every language's catalogue, read once."""
    return {lang: json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in LANGUAGES}


CATALOGUES = load_catalogues()


def placeholders(text: str) -> set[str]:
    """The {names} a sentence fills in."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def translate(key: str, lang: str = ENGLISH, **values: object) -> str:
    """The sentence for key in lang (English when lang lacks it), its placeholders filled."""
    text = CATALOGUES.get(lang, {}).get(key) or CATALOGUES[ENGLISH][key]
    return text.format(**values) if values else text


def number(value: float, lang: str = ENGLISH, decimals: int = 0) -> str:
    """A number the locale's way: 1,234.5 in English, 1.234,5 in German."""
    point, group, _ = NUMBERS.get(lang, NUMBERS[ENGLISH])
    written = f"{value:,.{decimals}f}"
    return written.translate(str.maketrans({",": group, ".": point}))


def percent(share: float, lang: str = ENGLISH, decimals: int = 0) -> str:
    """A share as a percentage the locale's way: 96% in English, 96 % in French."""
    return NUMBERS.get(lang, NUMBERS[ENGLISH])[2].format(number(100 * share, lang, decimals))


def pick(asked: str | None, accept_language: str | None = None) -> str:
    """The language to speak: the one asked for (menu, ?lang=), else the browser's first
    language we have (Accept-Language), else English."""
    wanted = [asked or ""] + [part.split(";")[0].strip()
                              for part in (accept_language or "").split(",")]
    for tag in wanted:
        for lang in LANGUAGES:
            if tag.lower() == lang.lower():
                return lang
        base = tag.split("-")[0].lower()
        if base == "zh":
            return "zh-CN"
        if base in LANGUAGES:
            return base
    return ENGLISH


def template_pattern(text: str) -> re.Pattern:
    """An English sentence with placeholders as a pattern that captures their values."""
    parts = []
    for literal, name, _, _ in Formatter().parse(text):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+?)" if f"(?P<{name}>" not in "".join(parts)
                         else f"(?P={name})")
    return re.compile("".join(parts), re.DOTALL)


ENGLISH_PATTERNS = sorted(((key, template_pattern(text)) for key, text
                           in CATALOGUES[ENGLISH].items()),
                          key=lambda item: -len(re.sub(r"\{[^}]*\}", "", CATALOGUES[ENGLISH][
                              item[0]])))
NUMERIC = re.compile(r"-?[\d,]*\.?\d+")


def localized_value(value: str, lang: str) -> str:
    """A captured value said in lang: a number the locale's way, a phrase translated."""
    if NUMERIC.fullmatch(value):
        point, group, _ = NUMBERS.get(lang, NUMBERS[ENGLISH])
        return value.translate(str.maketrans({",": group, ".": point}))
    return localize(value, lang)


@lru_cache(maxsize=4096)
def localize(sentence: str, lang: str) -> str:
    """An English sentence of the catalogue (an exception's message, a status line) in lang;
    parts joined by " · " each on their own; unchanged if it is not in the catalogue."""
    if lang == ENGLISH or not sentence:
        return sentence
    for key, pattern in ENGLISH_PATTERNS:
        found = pattern.fullmatch(sentence)
        if found:
            values = {name: localized_value(value, lang)
                      for name, value in found.groupdict().items()}
            return translate(key, lang, **values)
    if SEPARATOR in sentence:
        return SEPARATOR.join(localize(part, lang) for part in sentence.split(SEPARATOR))
    return sentence
