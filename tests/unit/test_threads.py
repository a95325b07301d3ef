"""Thread names: one spelling per page's path (RFC 3986 section 6.2.2), or a reason."""

from __future__ import annotations

import string
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comments_app.model.threads import MAX_LENGTH, ThreadRefused, normalize

paths = st.text(st.characters(exclude_characters="?#", exclude_categories=("Cs",)), max_size=60).map(
    lambda text: "/" + text
)


@settings(max_examples=300, deadline=None)
@given(paths)
def test_a_spelling_is_its_own_spelling(path):
    try:
        spelled = normalize(path)
    except ThreadRefused:
        return
    assert normalize(spelled) == spelled
    assert len(spelled) <= MAX_LENGTH
    assert all(c in string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/%" for c in spelled)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=40))
def test_a_path_escaped_as_browsers_do_is_the_same_thread(text):
    path = "/" + text.replace("?", "").replace("#", "").replace("%", "")
    # What location.pathname leaves as it is: the sub-delimiters, ":" and "@" (RFC 3986 pchar).
    assert normalize(quote(path, safe="/!$&'()*+,;=:@")) == normalize(path)
    assert unquote(normalize(path)) == path


@pytest.mark.parametrize(
    ("given", "spelled"),
    [
        ("/%7euser/", "/~user/"),
        ("/%7E", "/~"),
        ("/caf%c3%a9", "/caf%C3%A9"),
        ("/café", "/caf%C3%A9"),
        ("/%2f", "/%2F"),
    ],
)
def test_escapes_are_normalised(given, spelled):
    assert normalize(given) == spelled


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("a", "starting with /"),
        ("", "starting with /"),
        ("/a?b", "query"),
        ("/a#b", "fragment"),
        ("/%g0", "escape"),
    ],
)
def test_what_is_not_a_path_is_refused_saying_why(given, reason):
    with pytest.raises(ThreadRefused, match=reason):
        normalize(given)
