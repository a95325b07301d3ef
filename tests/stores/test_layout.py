"""The bytes layout's parsing (stores/layout.py): a file that is not a list of comments is a
ValueError that says why, whatever its bytes, never another exception."""

from __future__ import annotations

import pytest

from comments_app.stores.layout import parse_list


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        (b"\xff[]", "not UTF-8"),
        (b"[1,", "not valid JSON"),
        (b"{}", "not a JSON array"),
        (b"[1]", "item 0 is not an object"),
    ],
    ids=["deep arrays", "deep objects", "not UTF-8", "cut short", "an object", "a number"],
)
def test_a_file_that_is_not_a_list_of_comments_says_why(body, words):
    with pytest.raises(ValueError, match=words):
        parse_list(body)
