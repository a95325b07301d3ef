"""Bodies that are not comments: every one a 4xx in the one error shape, never a 5xx, nothing stored."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def multipart(*parts: tuple[str, bytes], boundary: str = "XyZ") -> tuple[bytes, str]:
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), name.encode(), value)
        for name, value in parts
    )
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


def post(client, body: bytes, content_type: str):
    return client.post("/api/comments", data=body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 1000 + b"]" * 1000, "the JSON body is nested too deeply"),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, "the JSON body is nested too deeply"),
        (b'{"author": "a", "text": "b", "n": ' + b"9" * 5000 + b"}", "the body is not valid JSON"),
        (b'{"author": "a", "text": "b", "author": "c"}', "the JSON body names 'author' more than once"),
        (b'{"author": "a", "text": "b", "text": "b"}', "the JSON body names 'text' more than once"),
        (b'{"author": "a", "text": "b", "x": {"k": 1, "k": 2}}', "the JSON body names 'k' more than once"),
        ('{"author": "a", "text": "b"}'.encode("utf-16"), "the JSON body is not UTF-8 text"),
        ('{"author": "\xe9", "text": "b"}'.encode("latin-1"), "the JSON body is not UTF-8 text"),
        (b'\xef\xbb\xbf{"author": "a", "text": "b"}', "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"null", 'the JSON body must be an object like {"author": …, "text": …}'),
    ],
)
def test_pathological_json_is_a_400(client, comments_file, body, message):
    response = post(client, body, JSON)
    assert response.status_code == 400
    assert response.get_json()["error"] == message
    assert not comments_file.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"author": 1e999, "text": "b"}',
        b'{"author": NaN, "text": "b"}',
        b'{"author": "\\ud800", "text": "b"}',
        b'{"author": ["a"], "text": "b"}',
    ],
)
def test_json_fields_of_the_wrong_kind_are_a_400_with_fields(client, comments_file, body):
    response = post(client, body, JSON)
    assert response.status_code == 400
    assert "author" in response.get_json()["fields"]
    assert not comments_file.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"author=a&text=h%E9llo", FORM, 400, "the form is not UTF-8 text"),
        (b"author=a&text=h\xe9llo", FORM, 400, "the form is not UTF-8 text"),
        (b"author=a&author=b&text=c", FORM, 400, "the form names 'author' more than once"),
        (b"author=a&text=b&text=c", FORM, 400, "the form names 'text' more than once"),
        (
            b"&".join(b"f%d=1" % n for n in range(1000)),
            FORM,
            413,
            "the form has too many fields; a comment needs two and at most 50 are read",
        ),
        (*multipart(("author", b"a"), ("text", b"h\xe9llo")), 400, "the form is not UTF-8 text"),
        (
            *multipart(("author", b"a"), ("text", b"b"), ("text", b"c")),
            400,
            "the form names 'text' more than once",
        ),
        (
            *multipart(*((f"p{n}", b"") for n in range(1000))),
            413,
            "the form has too many fields; a comment needs two and at most 50 are read",
        ),
        (
            b"author=a&text=b",
            "multipart/form-data",
            400,
            "the multipart body has no boundary in its Content-Type",
        ),
        (b"--XyZ\r\nnonsense", "multipart/form-data; boundary=XyZ", 400, "the multipart body is malformed"),
    ],
)
def test_bad_forms_say_what_is_wrong(client, comments_file, body, content_type, status, message):
    assert len(body) < 64 * 1024
    response = post(client, body, content_type)
    assert response.status_code == status
    assert response.get_json()["error"] == message
    assert not comments_file.exists()


def test_forms_in_utf8_still_work(client):
    for body, content_type in (
        ("author=Zoë&text=h%C3%A9llo+wörld".encode(), FORM),
        multipart(("author", "Zoë".encode()), ("text", "héllo wörld".encode()), ("extra", b"ignored")),
    ):
        response = post(client, body, content_type)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()[-1]["text"] == "héllo wörld"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@st.composite
def hostile_bodies(draw) -> tuple[bytes, str]:
    """JSON of any shape, deep nesting, long numbers, repeated keys, other encodings, random bytes."""
    kind = draw(st.sampled_from(["value", "nested", "number", "duplicate", "encoding", "bytes", "form"]))
    if kind == "value":
        return json.dumps(draw(json_values)).encode(), JSON
    if kind == "nested":
        depth = draw(st.integers(min_value=500, max_value=20_000))
        opener = draw(st.sampled_from(["[", '{"a":', '{"author": "a", "text": ']))
        closer = "]" if opener == "[" else "}"
        return (opener * depth + "1" + closer * depth).encode(), JSON
    if kind == "number":
        digits = draw(st.integers(min_value=4000, max_value=60_000))
        field = draw(st.sampled_from(["author", "text", "extra"]))
        return b'{"author": "a", "text": "b", "%s": %s}' % (field.encode(), b"7" * digits), JSON
    if kind == "duplicate":
        key = draw(st.sampled_from(["author", "text", "x"]))
        return b'{"author": "a", "text": "b", "%s": "again"}' % key.encode(), JSON
    if kind == "encoding":
        codec = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig"]))
        text = draw(st.text(min_size=1, max_size=20))
        return json.dumps({"author": "é", "text": text}, ensure_ascii=False).encode(codec, "replace"), JSON
    if kind == "form":
        return draw(st.binary(max_size=200)), draw(st.sampled_from([FORM, "multipart/form-data; boundary=b"]))
    return draw(st.binary(max_size=300)), draw(st.sampled_from([JSON, FORM, "text/plain"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=hostile_bodies())
def test_no_body_gets_a_server_error(client, body):
    data, content_type = body
    response = post(client, data, content_type)
    assert response.status_code in (201, 400, 413, 415), response.get_data()
    if response.status_code != 201:
        error = response.get_json()
        assert isinstance(error["error"], str) and error["error"]
