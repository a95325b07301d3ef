"""Who changes a comment, and what their change becomes: the editing policy, without Flask.

A moderator may change any comment at any time, its status included. An author may change
the author and text of their own comment (proved by its Comment-Token, guards/editors.py)
within the edit window, checked as a new comment is: under pre-moderation such an edit goes
back to the queue, so that an approved comment cannot be turned into another one, and an
edit that brings more links than COMMENTS_MAX_LINKS is held as pending, as a new comment
with them would be. A comment a moderator hid stays hidden: its author may not edit it.
A comment the honeypot caught (spam) does not move: its author's edits and deletes are
answered as a person's would be, and change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from .comment import EDITABLE, HIDDEN, PENDING, PUBLISHED, SPAM, changed, full_view

MODERATOR = "moderator"
AUTHOR = "author"

HIDDEN_REFUSAL = "a moderator hid this comment: its author can no longer edit it"


def edit_as(
    editor: str | None, changes: Mapping[str, str], moderation: str, too_many_links: bool = False
) -> dict[str, str]:
    """Return the changes an editor's edit makes under the moderation mode ("off" or "pre"),
    too_many_links saying whether the edited comment would hold more than the limit."""
    result = dict(changes)
    if editor != AUTHOR or not any(field in changes for field in EDITABLE):
        return result
    if moderation == "pre" or too_many_links:
        result["status"] = PENDING
    return result


def author_refusal(status: object) -> str | None:
    """Return why an author may not edit a comment with this status, or None when they may."""
    return HIDDEN_REFUSAL if status == HIDDEN else None


def trapped(editor: str | None, status: object) -> bool:
    """Return whether an author's change must be answered without being made (a bot's spam)."""
    return editor == AUTHOR and status == SPAM


def apparent_status(moderation: str, too_many_links: bool) -> str:
    """Return the status a person's comment would have had, the one a trapped bot is shown."""
    return PENDING if moderation == "pre" or too_many_links else PUBLISHED


def pretended_edit(
    record: Mapping, shown: str, changes: Mapping[str, str], moderation: str, too_many_links: bool
) -> dict:
    """Return a trapped comment, shown with the status shown, as a person's edit would have
    left it: nothing is stored."""
    edit = edit_as(AUTHOR, changes, moderation, too_many_links)
    return full_view(changed({**record, "status": shown}, edit))
