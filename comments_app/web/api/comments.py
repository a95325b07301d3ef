"""The comments blueprint: list, add, edit and delete comments.

Auth is attached from outside (guards/auth.py for logins, guards/editors.py for who may
change a comment): the handlers carry no auth code. They read the body as the request
hands it on (request.fields), and who is editing as the editors guard left it.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint, current_app, request, url_for
from werkzeug.routing import BaseConverter

from ...model import tokens
from ...model.comment import EDITABLE, MAX_ID, PENDING, PUBLISHED, SPAM, STATUSES, public_view
from ...model.editing import AUTHOR, apparent_status, author_refusal, edit_as, pretended_edit, trapped
from ...model.spam import over_limit, verdict
from ...model.threads import DEFAULT
from ...model.validation import clean_changes, clean_comment, clean_contact
from ...model.versions import VERSION_FORM, VersionGone, VersionUnknown, changes_etag, page_etag
from ...state import app_state
from ...stores.contract import ParentRefused, Snapshot, ThreadClosed
from ...stores.layout import append_encoded, encode_comment
from ...stores.private import Contact
from .. import codings, endpoints, threads
from ..endpoints import VERSION_HEADER
from ..errors import APIError
from ..prefer import wants_minimal

bp = Blueprint(endpoints.COMMENTS, __name__)

# GET /api/comments?limit=N: the most comments one page may hold.
MAX_LIMIT = 500
JSON = "application/json"


class CommentId(BaseConverter):
    """One URL per comment: ASCII digits, no leading zeros (no fullwidth or Arabic-Indic ones)."""

    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        # An id past MAX_ID is refused by _ids_in_range, with a 404: a ValidationError
        # here would leave werkzeug answering 405 for some methods.
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


# Before the routes below: they are added to the app's map when it registers the blueprint.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("comment_id", CommentId))


@bp.url_value_preprocessor
def _ids_in_range(endpoint: str | None, values: dict | None) -> None:
    if values and values.get("comment_id", 0) > MAX_ID:
        raise APIError(404, f"there is no comment with id {values['comment_id']}")


def json_response(body: bytes, status: int = 200, etag: str | None = None):
    """Answer JSON bytes; the headers are built as one list, not set one by one."""
    headers = [("Content-Type", JSON)]
    if etag is not None:
        headers.append(("ETag", f'"{etag}"'))
    return current_app.response_class(body, status=status, headers=headers)


def list_headers(tag: str, coding: str, version: str) -> list[tuple[str, str]]:
    """Return the headers of a list answer (the list, a page, changes) in a coding."""
    headers = [("Content-Type", JSON), *not_modified_headers(tag, version)]
    if coding != codings.IDENTITY:
        headers.append(("Content-Encoding", coding))
    return headers


def not_modified_headers(tag: str, version: str) -> list[tuple[str, str]]:
    """Return the headers of a list's 304: its coding's ETag, what it varies on, its version."""
    return [("ETag", f'"{tag}"'), ("Vary", "Accept-Encoding"), (VERSION_HEADER, version)]


def encoded_response(
    snapshot: Snapshot,
    coding: str,
    status: int = 200,
    version: str | None = None,
    effort: codings.Effort = codings.THOROUGH,
):
    """Answer a list (or a page of it, or its changes) in the chosen coding, with that
    coding's own ETag; the representation's ETag keys its compressed copy."""
    body = snapshot.body
    if coding != codings.IDENTITY:
        body = app_state().compressed.get(snapshot.etag, coding, body, effort)
    headers = list_headers(
        codings.tagged(snapshot.etag, coding), coding, snapshot.etag if version is None else version
    )
    return current_app.response_class(body, status=status, headers=headers)


def not_modified(tag: str, version: str):
    """Answer 304 for the copy a client holds, tag being its coding's ETag."""
    # Typed JSON, as the list is, for the headers hook; werkzeug drops the type from a 304.
    headers = [("Content-Type", JSON), *not_modified_headers(tag, version)]
    return current_app.response_class(b"", status=304, headers=headers)


def part_response(etag: str, body: bytes, coding: str, version: str):
    """Answer a page or a changes answer: compressed quickly, one of many that may each be
    asked for once; sent as it is when large (codings.QUICK), and then a client that holds
    that uncompressed copy, whose ETag the 304 check before could not know, gets its 304."""
    sent = codings.QUICK.coding(coding, len(body))
    if sent != coding and request.if_none_match.contains_weak(etag):
        return not_modified(etag, version)
    return encoded_response(Snapshot(etag, body), sent, version=version, effort=codings.QUICK)


@bp.get("/api/comments")
@bp.get("/comments.json")
def list_comments():
    """Answer a thread's list (?thread=, the default thread without it), a page of it
    (?limit=, ?before=) or its changes (?since=), or 304 when the client's copy is
    current (a stat, no read)."""
    store = app_state().store
    coding = codings.choose(request.headers.get("Accept-Encoding"))
    thread = threads.of_query(request.args)
    since, limit, before = list_arguments(request.args)
    version = store.etag(thread)
    if since is not None:
        etag = changes_etag(version, since)
    elif limit is not None:
        etag = page_etag(version, limit, before)
    else:
        etag = version
    if request.if_none_match:
        tagged = codings.tagged(etag, coding)
        if request.if_none_match.contains_weak(tagged):
            return not_modified(tagged, version)
    if since is not None:
        return changes_response(since, coding, thread)
    if limit is not None:
        page = store.page(limit, before, thread)
        response = part_response(page.etag, page.body, coding, page.version)
        if page.next is not None and response.status_code == 200:
            response.headers["Link"] = f'<{next_page(limit, page.next, thread)}>; rel="next"'
        return response
    return encoded_response(store.snapshot(thread), coding)


def next_page(limit: int, before: int, thread: str) -> str:
    """Return the address of the next page, in the thread of this one."""
    query = {"limit": limit, "before": before}
    if thread != DEFAULT:
        query = {"thread": thread, **query}
    return f"{request.path}?{urlencode(query, safe='/')}"


def changes_response(since: str, coding: str, thread: str):
    try:
        changes = app_state().store.changes(since, thread)
    except VersionUnknown as error:
        raise APIError(400, f"since: {error}", fields={"since": str(error)}) from None
    except VersionGone as error:
        raise APIError(410, f"since: {error}; load the list again", fields={"since": str(error)}) from None
    return part_response(changes.etag, changes.body, coding, changes.version)


def list_arguments(args: Mapping) -> tuple[str | None, int | None, int | None]:
    """Return (since, limit, before) from the query; refuse a bad one, naming it."""
    problems = {}
    since = args.get("since")
    limit = args.get("limit")
    before = args.get("before")
    if since is not None and not VERSION_FORM.fullmatch(since):
        problems["since"] = "since must be a Comments-Version header's value"
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
            problems["limit"] = f"limit must be a whole number from 1 to {MAX_LIMIT}"
        else:
            limit = int(limit)
    if before is not None:
        if limit is None:
            problems["before"] = "before needs a limit: follow the Link header's next page"
        elif not (before.isascii() and before.isdigit() and 1 <= int(before) <= MAX_ID):
            problems["before"] = "before must be a cursor from a Link header"
        else:
            before = int(before)
    if since is not None and (limit is not None or before is not None):
        problems["since"] = "since cannot be combined with limit or before"
    if problems:
        raise APIError(400, "; ".join(problems.values()), fields=problems)
    return since, limit, before


@bp.post("/api/comments")
@bp.post("/comments.json")
def add_comment():
    """Store a comment; answer 201 with the updated list, as tutorial front ends expect,
    or, under pre-moderation or when the spam signals hold it, 202 with the comment alone,
    pending. With Prefer: return=minimal (RFC 7240) a 201 is the new comment alone. A
    honeypot's catch is kept as spam and answered as a person's comment would be."""
    fields = request.fields
    cleaned, errors = clean_comment(fields)
    contact, contact_errors = clean_contact(fields)
    errors.update(contact_errors)
    parent = parent_field(fields)
    if errors:
        raise APIError(400, "; ".join(errors.values()), fields=errors)
    state = app_state()
    store = state.store
    thread = threads.of_submission(request.args, fields)
    threads.check_allowed(thread, state.settings.thread_pattern)
    usual = PENDING if state.settings.moderation == "pre" else PUBLISHED
    status = verdict(fields, cleaned, state.settings.max_links) or usual
    # Kept privately, never shown (stores/private.py); a bot's catch keeps none.
    kept = Contact(*contact) if contact is not None and status != SPAM else None
    try:
        comment, snapshot = store.add(
            cleaned["author"], cleaned["text"], status, thread, parent, contact=kept
        )
    except ParentRefused as error:
        raise APIError(400, f"parent: {error}", fields={"parent": str(error)}) from None
    except ThreadClosed as error:
        raise APIError(403, str(error)) from None
    if status == SPAM:
        # Answered as a person's comment: the bot learns nothing from the answer.
        status = shown_status(comment)
        comment = {**comment, "status": status}
        if status == PUBLISHED:
            snapshot = with_trapped(snapshot, comment)
    location = url_for(".get_comment", comment_id=comment["id"])
    if status == PENDING:
        response = json_response(encode_comment(comment), 202)
    elif wants_minimal(request.headers):
        # As GET /api/comments/<id> will show it: a published comment carries no status.
        response = json_response(encode_comment(public_view(comment)), 201)
        response.headers["Preference-Applied"] = "return=minimal"
        response.headers["Content-Location"] = location
        response.headers["Location"] = location
    else:
        coding = codings.choose(request.headers.get("Accept-Encoding"))
        response = list_response(snapshot, coding, 201)
        response.headers["Location"] = location
        # The body is the list, not the new comment: say so, so caches file it rightly.
        response.headers["Content-Location"] = request.path
    response.vary.add("Prefer")
    response.headers[tokens.HEADER] = tokens.make(store.secret_key(), comment["id"])
    return response


def parent_field(fields: Mapping) -> int | None:
    """Return the id a reply answers (a number, or digits in a form), or None for a new
    conversation; refuse anything else, naming parent."""
    value = fields.get("parent")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and value[0] != "0":
        value = int(value)
    if type(value) is not int or not 1 <= value <= MAX_ID:
        message = "parent must be the id of the comment this one answers"
        raise APIError(400, f"parent: {message}", fields={"parent": message})
    return value


class TrappedSnapshot(Snapshot):
    """The list as a trapped bot is shown it, its comment added: never kept nor cached."""


def with_trapped(snapshot: Snapshot, comment: Mapping) -> Snapshot:
    """Return the list with a trapped bot's comment added, for that bot's answer alone."""
    body = append_encoded(snapshot.body, [encode_comment(public_view(comment))])
    return TrappedSnapshot(snapshot.etag, body)


def list_response(snapshot: Snapshot, coding: str, status: int):
    """Answer a list after a write; a trapped bot's list is compressed apart, so that it is
    never kept under the list's ETag where others would be answered from it."""
    if not isinstance(snapshot, TrappedSnapshot):
        return encoded_response(snapshot, coding, status)
    # The list's own ETag: the bot's next If-None-Match is answered 304, as a person's is.
    headers = list_headers(codings.tagged(snapshot.etag, coding), coding, snapshot.etag)
    body = codings.compress(snapshot.body, coding)
    return current_app.response_class(body, status=status, headers=headers)


def shown_status(comment: Mapping) -> str:
    """Return the status a trapped bot's comment is shown with: a person's in its place."""
    settings = app_state().settings
    return apparent_status(settings.moderation, over_limit(comment, settings.max_links))


def stored_comment(comment_id: int, status: str | None = None) -> dict | None:
    """Return a comment with its status, whatever it is, or only when it has that status."""
    comment = app_state().store.record(comment_id)
    return comment if comment is not None and status in (None, comment["status"]) else None


@bp.get("/api/comments/<comment_id:comment_id>")
def get_comment(comment_id: int):
    comment = app_state().store.get(comment_id)
    if comment is None:
        # A trapped bot that looks its comment up finds it, as a person would theirs.
        trapped_comment = stored_comment(comment_id, SPAM)
        if trapped_comment is not None and shown_status(trapped_comment) == PUBLISHED:
            comment = public_view(trapped_comment)
    if comment is None:
        raise APIError(404, f"there is no comment with id {comment_id}")
    return json_response(encode_comment(comment))


@bp.patch("/api/comments/<comment_id:comment_id>")
def edit_comment(comment_id: int):
    """Change a comment's author or text (or, for moderators, its status); answer it."""
    changes, errors = clean_changes(request.fields, STATUSES)
    if errors:
        raise APIError(400, "; ".join(errors.values()), fields=errors)
    if request.editor == AUTHOR:
        return authors_edit(comment_id, changes)
    comment, _ = app_state().store.update(comment_id, changes)
    return json_response(encode_comment(comment))


def authors_edit(comment_id: int, changes: Mapping[str, str]):
    """Make an author's edit as the policy says (model/editing.py): checked as a new comment
    is, links included; refused on a hidden comment; on a trapped bot's, answered only."""
    settings = app_state().settings
    too_many_links = False
    current = stored_comment(comment_id)
    if current is not None:  # else the store's update answers 404
        refusal = author_refusal(current["status"])
        if refusal is not None:
            raise APIError(403, refusal)
        edited = {**current, **{field: changes[field] for field in EDITABLE if field in changes}}
        too_many_links = over_limit(edited, settings.max_links)
        if trapped(AUTHOR, current["status"]):
            shown = shown_status(current)
            pretended = pretended_edit(current, shown, changes, settings.moderation, too_many_links)
            return json_response(encode_comment(pretended))
    changes = edit_as(AUTHOR, changes, settings.moderation, too_many_links)
    comment, _ = app_state().store.update(comment_id, changes)
    return json_response(encode_comment(comment))


@bp.delete("/api/comments/<comment_id:comment_id>")
def delete_comment(comment_id: int):
    """Delete a comment; a trapped bot's delete is answered, and its comment kept as spam
    for the moderators."""
    if request.editor == AUTHOR:
        current = stored_comment(comment_id, SPAM)
        if current is not None and trapped(request.editor, current["status"]):
            return current_app.response_class(status=204)
    app_state().store.delete(comment_id)
    return current_app.response_class(status=204)
