"""The catalogues: every language says every sentence, with the same placeholders; numbers the
locale's way; the language picked from the menu or the browser; English sentences found again."""

from __future__ import annotations

import pytest

from digitpad.i18n import (
    CATALOGUES,
    ENGLISH,
    LANGUAGES,
    localize,
    number,
    percent,
    pick,
    placeholders,
    translate,
)

OTHERS = [lang for lang in LANGUAGES if lang != ENGLISH]


@pytest.mark.parametrize("lang", OTHERS)
def test_every_language_has_every_key_and_no_other(lang):
    english, theirs = set(CATALOGUES[ENGLISH]), set(CATALOGUES[lang])
    assert not english - theirs, f"{lang} lacks {sorted(english - theirs)}"
    assert not theirs - english, f"{lang} has extra {sorted(theirs - english)}"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_sentence_keeps_its_placeholders(lang):
    wrong = {key: (placeholders(text), placeholders(CATALOGUES[lang][key]))
             for key, text in CATALOGUES[ENGLISH].items()
             if placeholders(text) != placeholders(CATALOGUES[lang].get(key, text))}
    assert not wrong, f"{lang}: placeholders differ in {wrong}"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_sentence_is_said_and_most_differ_from_english(lang):
    assert all(text.strip() for text in CATALOGUES[lang].values())
    same = [key for key, text in CATALOGUES[lang].items() if text == CATALOGUES[ENGLISH][key]]
    assert len(same) < 0.1 * len(CATALOGUES[ENGLISH]), f"{lang} leaves {same} in English"


def test_numbers_are_written_the_locale_way():
    assert percent(0.96) == "96%"
    assert percent(0.96, "fr") == "96\u00a0%" and percent(0.96, "de") == "96\u00a0%"
    assert number(0.0001, "de", 4) == "0,0001" and number(0.0001, "en", 4) == "0.0001"
    assert number(10_000, "de") == "10.000" and number(10_000, "en") == "10,000"
    assert percent(0.9712, "es", 1) == "97,1\u00a0%"


def test_the_language_is_the_menus_else_the_browsers_else_english():
    assert pick(None, "de-DE,de;q=0.9,en;q=0.8") == "de"
    assert pick("ar", "de-DE") == "ar"
    assert pick(None, "zh-CN,zh;q=0.9") == "zh-CN" and pick(None, "zh-TW") == "zh-CN"
    assert pick(None, "pt-BR") == "pt" and pick(None, "ja-JP") == "en" and pick(None, None) == "en"
    assert pick("xx", "fr-CA") == "fr"


def test_a_missing_translation_falls_back_to_english():
    assert translate("answer.guess", "xx", digit=2, runner_up=7) == "Not sure: maybe 2, maybe 7"


def test_english_sentences_from_the_code_are_found_and_translated():
    assert localize("The canvas is empty: draw a digit.", "de") == \
        translate("problem.canvas_empty", "de")
    nested = localize("Only a speck: draw a digit. Clear the pad and draw again.", "fr")
    assert nested == translate("problem.clear_pad", "fr",
                               problem=translate("problem.speck", "fr"))
    status = localize("training · 2 other runs on the server · about 15 s left", "es")
    assert status == " · ".join([translate("status.training", "es"),
                                 translate("status.others", "es", count=2),
                                 translate("status.seconds_left", "es", seconds=15)])
    assert localize("Looking inside run 3.", "de") == translate(
        "inside.using", "de", name=translate("name.run", "de", number=3))
    assert localize("not in the catalogue", "de") == "not in the catalogue"


def test_the_sliders_help_is_the_knobs_help():
    from digitpad.knobs import KNOBS

    for name in ("learning_rate", "dropout", "iterations", "batch_size", "augment", "seed"):
        assert translate(f"help.{name}") == KNOBS[name].help


@pytest.mark.parametrize("lang", OTHERS)
def test_the_codes_own_sentences_are_all_in_the_catalogue(lang):
    from app import TRAINING_OFF
    from digitpad.classdata import FULL, NOT_A_DIGIT, STORE_DOWN, TOO_FAST, UNREACHABLE
    from digitpad.limits import BUSY, FAILED
    from digitpad.preprocess import NOT_AN_IMAGE, too_large
    from digitpad.scheduler import SCORING_NOTE, time_left
    from digitpad.strokes import NOT_ON_CANVAS
    from digitpad.uploads import TOO_MANY

    sentences = [TRAINING_OFF, FULL, NOT_A_DIGIT, STORE_DOWN, TOO_FAST, UNREACHABLE, BUSY,
                 FAILED, NOT_AN_IMAGE, too_large(30_000_000), too_large(90_000_000, "over "),
                 SCORING_NOTE, time_left(3), time_left(42), NOT_ON_CANVAS, TOO_MANY]
    assert not [s for s in sentences if localize(s, lang) == s]
