"""gunicorn's logger, with the mails' link tokens kept out of the access log.

A one-click link's token is a capability (web/mail_pages.py): a moderation link acts for 7
days, an unsubscribe link for ever. The access log would keep it in the request line and,
for the confirmation form's POST, in the Referer; here it is cut from every atom that may
hold a path, so that whoever reads the logs cannot use it.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# A link's path, up to its token's end.
LINK = re.compile(r"(/mail/(?:moderate|unsubscribe)/)[^\s?#\"/]+")
HIDDEN = r"\1[token]"


def redacted(value: object) -> object:
    """Return a logged value with any link token in it replaced by [token]."""
    return LINK.sub(HIDDEN, value) if isinstance(value, str) and "/mail/" in value else value


class RedactingLogger(Logger):
    """gunicorn's Logger whose access-log atoms never hold a link's token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redacted(value) for key, value in atoms.items()}
