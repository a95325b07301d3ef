"""Who changes a comment, and what their change becomes: the editing policy, without Flask.

A moderator may change any comment at any time, its status included. An author may change
the author and text of their own comment (proved by its Comment-Token, guards/editors.py)
within the edit window; under pre-moderation such an edit goes back to the queue, so that
an approved comment cannot be turned into another one.
"""

from __future__ import annotations

from collections.abc import Mapping

from .comment import EDITABLE, PENDING

MODERATOR = "moderator"
AUTHOR = "author"


def edit_as(editor: str | None, changes: Mapping[str, str], moderation: str) -> dict[str, str]:
    """Return the changes an editor's edit makes under the moderation mode ("off" or "pre")."""
    result = dict(changes)
    if editor == AUTHOR and moderation == "pre" and any(field in changes for field in EDITABLE):
        result["status"] = PENDING
    return result
