"""Author names: normalised (NFKC), and refused when they could pass for someone else's."""

from __future__ import annotations

import json
import unicodedata

import pytest
import requests

from comments_app.model.validation import clean_comment

LOOK_ALIKES = [
    ("Admin\u200b", "U+200B ZERO WIDTH SPACE"),
    ("Ad\u202enim", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\ufeffAdmin", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u2066Admin\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("Admin\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ("Ad\u00admin", "U+00AD SOFT HYPHEN"),
    ("Admin\u061c", "U+061C ARABIC LETTER MARK"),
    ("Admin\u2028Root", "single line"),
    ("Admin\u2029Root", "single line"),
    ("Admin\ue000", "private-use character (U+E000)"),
    ("Admin\U000f0000", "private-use character (U+F0000)"),
]

NORMALISED = [
    ("Ａｄｍｉｎ", "Admin"),  # fullwidth letters
    ("Zoe\u0308", "Zoë"),  # a decomposed e with diaeresis
    ("\u00a0Ann\u3000", "Ann"),  # no-break and ideographic spaces, trimmed
    ("ﬁona", "fiona"),  # the fi ligature
]

FINE = ["José", "王小明", "محمد", "Ελένη", "O'Brien-Smith", "Ann 🙂"]

# Invisible but not format characters (category Cf): Unicode's Default_Ignorable_Code_Point
# (fillers, the grapheme joiner, variation selectors, Khmer inherent vowels) and the blank
# braille pattern. "Admin" + any of them shows as "Admin". The fullwidth fillers are
# normalised (NFKC) to U+1160 before the check, which then names that one.
INVISIBLE = [
    ("\u3164", "U+1160 HANGUL JUNGSEONG FILLER"),
    ("\u115f", "U+115F HANGUL CHOSEONG FILLER"),
    ("\u1160", "U+1160 HANGUL JUNGSEONG FILLER"),
    ("\uffa0", "U+1160 HANGUL JUNGSEONG FILLER"),
    ("\u034f", "U+034F COMBINING GRAPHEME JOINER"),
    ("\ufe00", "U+FE00 VARIATION SELECTOR-1"),
    ("\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
    ("\u17b4", "U+17B4 KHMER VOWEL INHERENT AQ"),
    ("\u17b5", "U+17B5 KHMER VOWEL INHERENT AA"),
    ("\u180b", "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE"),
    ("\u180f", "U+180F MONGOLIAN FREE VARIATION SELECTOR FOUR"),
    ("\u2800", "U+2800 BRAILLE PATTERN BLANK"),
    ("\U0001d159", "U+1D159 MUSICAL SYMBOL NULL NOTEHEAD"),
    ("\U000e0100", "U+E0100 VARIATION SELECTOR-17"),
    ("\U000e01ef", "U+E01EF VARIATION SELECTOR-256"),
    ("\u2065", "U+2065"),  # unassigned, but reserved as default-ignorable
    ("\ufff0", "U+FFF0"),
    ("\U000e0fff", "U+E0FFF"),
]

# What stays allowed: letters and marks of every script that draw something, including
# Hangul syllables and jamo, Khmer and Mongolian letters, and emoji without a selector.
STILL_FINE = ["김민수", "\u1100\u1161", "សុខា", "ᠪᠠᠲᠦ", "Zoë", "Ann 👍", "a\u0301b"]


@pytest.mark.parametrize(("author", "words"), LOOK_ALIKES, ids=[w for _, w in LOOK_ALIKES])
def test_look_alike_names_are_refused(author, words):
    cleaned, errors = clean_comment({"author": author, "text": "hi"})
    assert "author" not in cleaned
    assert words in errors["author"]


@pytest.mark.parametrize(("author", "stored"), NORMALISED)
def test_names_are_normalised(author, stored):
    cleaned, errors = clean_comment({"author": author, "text": "hi"})
    assert errors == {}
    assert cleaned["author"] == stored


@pytest.mark.parametrize("author", FINE)
def test_names_in_any_script_pass(author):
    assert clean_comment({"author": author, "text": "hi"}) == ({"author": author, "text": "hi"}, {})


@pytest.mark.parametrize(("char", "words"), INVISIBLE, ids=[w for _, w in INVISIBLE])
@pytest.mark.parametrize("place", ["Admin{}", "Ad{}min", "{}Admin"])
def test_invisible_characters_outside_cf_are_refused(char, words, place):
    cleaned, errors = clean_comment({"author": place.format(char), "text": "hi"})
    assert "author" not in cleaned
    assert errors["author"] == f"author contains an invisible character ({words})"


@pytest.mark.parametrize("author", STILL_FINE)
def test_visible_letters_next_to_the_invisible_ones_pass(author):
    assert clean_comment({"author": author, "text": "hi"}) == (
        {"author": unicodedata.normalize("NFKC", author), "text": "hi"},
        {},
    )


def test_the_text_keeps_what_people_write():
    text = "Ａ \u200b \u202eabc\u202c \ue000 \u2028 ﬁ \u3164 \ufe0f \u2800 \U000e0100"
    assert clean_comment({"author": "Ann", "text": text}) == ({"author": "Ann", "text": text}, {})


def test_names_on_a_live_server(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    url = server.url + "/api/comments"
    for author, words in LOOK_ALIKES:
        for send in ({"json": {"author": author, "text": "hi"}}, {"data": {"author": author, "text": "hi"}}):
            response = requests.post(url, timeout=10, **send)
            assert response.status_code == 400, author
            assert words in response.json()["fields"]["author"]
    assert not comments_file.exists()
    for author, _stored in NORMALISED:
        assert requests.post(url, json={"author": author, "text": "hi"}, timeout=10).status_code == 201
    assert [c["author"] for c in json.loads(comments_file.read_bytes())] == [s for _, s in NORMALISED]
