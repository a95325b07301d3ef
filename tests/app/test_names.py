"""Author names: normalised (NFKC), and refused when they could pass for someone else's."""

from __future__ import annotations

import json

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


def test_the_text_keeps_what_people_write():
    text = "Ａ \u200b \u202eabc\u202c \ue000 \u2028 ﬁ"
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
