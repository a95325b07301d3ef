"""Check a submitted comment: a pure function from the form to a clean comment or reasons."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ..addresses import email_problem

LIMITS = {"author": 100, "text": 10_000}

# Control characters and lone surrogates (which cannot be stored as UTF-8); the
# text may keep tabs and line breaks, the author is a single line.
FORBIDDEN = {
    "author": re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]"),
    "text": re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"),
}


# Unicode's Default_Ignorable_Code_Point, which Python's unicodedata does not carry. The
# standard derives it (UAX #44; DerivedCoreProperties.txt, "Derived Property:
# Default_Ignorable_Code_Point") as
#     Other_Default_Ignorable_Code_Point + Cf + Variation_Selector
#     - White_Space - FFF9..FFFB - 13430..1343F - Prepended_Concatenation_Mark
# Cf comes from unicodedata; the two lists below are the standard's (PropList.txt), and
# have not changed since Unicode 14 (U+180F). Unassigned points among them are reserved
# as default-ignorable: a font draws nothing for them either.
OTHER_DEFAULT_IGNORABLE = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER, HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, AA
    (0x2065, 0x2065),  # reserved
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # reserved
    (0xE0000, 0xE0000),  # reserved
    (0xE0002, 0xE001F),  # reserved
    (0xE0080, 0xE00FF),  # reserved
    (0xE01F0, 0xE0FFF),  # reserved
)
VARIATION_SELECTORS = (
    (0x180B, 0x180D),  # MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    (0x180F, 0x180F),  # MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16
    (0xE0100, 0xE01EF),  # VARIATION SELECTOR-17..256
)
# The format characters the standard keeps visible: interlinear annotation, Egyptian
# hieroglyph format controls, and the Prepended_Concatenation_Mark ones (a number sign,
# an end of ayah). None of them is White_Space. Names refuse them anyway, as Cf.
VISIBLE_FORMAT = (
    (0xFFF9, 0xFFFB),
    (0x13430, 0x1343F),
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
)
# Not default-ignorable, yet drawn as nothing: the blank braille cell and the null
# notehead, the usual fillers of "empty" user names once the others are refused.
BLANK = ((0x2800, 0x2800), (0x1D159, 0x1D159))


def character_class(*ranges: tuple[int, int]) -> re.Pattern:
    """Compile one character class of the ranges: a name's every character is looked up in
    them, and one class is a table lookup where a loop over the ranges was a dozen tests."""
    return re.compile(
        "[" + "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in ranges) + "]"
    )


IGNORABLE = character_class(*OTHER_DEFAULT_IGNORABLE, *VARIATION_SELECTORS)
SHOWN_FORMAT = character_class(*VISIBLE_FORMAT)
BLANKS = character_class(*BLANK)


def is_default_ignorable(char: str) -> bool:
    """Tell whether a character has Unicode's Default_Ignorable_Code_Point property."""
    if IGNORABLE.match(char):
        return True
    return unicodedata.category(char) == "Cf" and not SHOWN_FORMAT.match(char)


def is_invisible(char: str) -> bool:
    """Tell whether a character shows as nothing: default-ignorable, or a blank."""
    return is_default_ignorable(char) or BLANKS.match(char) is not None


def clean_comment(form: Mapping) -> tuple[dict[str, str], dict[str, str]]:
    """Return (the cleaned author and text, {field: why it is refused})."""
    return clean_fields(form, LIMITS)


def clean_fields(form: Mapping, fields: Mapping[str, int]) -> tuple[dict[str, str], dict[str, str]]:
    """Check the given fields of a form (the author NFKC-normalised); return (cleaned, reasons)."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, limit in fields.items():
        value = form.get(field)
        if field == "author" and isinstance(value, str):
            value = unicodedata.normalize("NFKC", value)
        problem = field_problem(field, value, limit)
        if problem:
            errors[field] = problem
        else:
            cleaned[field] = value.strip()
    return cleaned, errors


def field_problem(field: str, value: object, limit: int) -> str | None:
    """Say why a field's value is refused, or None when it is fine."""
    if value is None:
        return f"{field} is missing"
    if not isinstance(value, str):
        return f"{field} must be a string"
    value = value.strip()
    if not value:
        return f"{field} must not be empty"
    if len(value) > limit:
        return f"{field} is {len(value):,} characters long; the limit is {limit:,}"
    bad = FORBIDDEN[field].search(value)
    if bad is not None:
        if bad.group() in "\r\n":
            return f"{field} must be a single line"
        return f"{field} contains control characters or invalid Unicode"
    if field == "author":
        return name_problem(value)
    return None


def name_problem(name: str) -> str | None:
    """Say why a (normalised) name could pass for another, or None when it is fine.

    Invisible characters make "Admin" + zero width space (or + a Hangul filler, a
    variation selector, a blank braille cell) look like "Admin", bidi controls show
    "Ad" + RLO + "nim" as "Adnim" reversed, and private-use characters look like
    whatever a font draws for them: none of them belongs in a name people read.
    """
    for char in name:
        category = unicodedata.category(char)
        if category in ("Zl", "Zp"):
            return "author must be a single line"
        if category == "Cf":
            return f"author contains an invisible formatting character ({describe(char)})"
        if is_invisible(char):
            return f"author contains an invisible character ({describe(char)})"
        if category == "Co":
            return f"author contains a private-use character ({describe(char)})"
    return None


def describe(char: str) -> str:
    """Name a character for a person: U+202E RIGHT-TO-LEFT OVERRIDE."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


YES = (True, "true", "on", "1", "yes")
NO = (False, None, "", "false", "off", "0", "no")


def clean_contact(form: Mapping) -> tuple[tuple[str, bool] | None, dict[str, str]]:
    """Return (the author's email and whether they want mails about replies, or None when
    no email is given; {field: why it is refused}). Both fields are optional."""
    errors: dict[str, str] = {}
    email = form.get("email")
    if email is not None and not isinstance(email, str):
        errors["email"] = "email must be a string"
        email = None
    email = (email or "").strip()
    problem = email_problem(email) if email else None
    if problem:
        errors["email"] = problem
    wanted = form.get("notify_replies")
    if isinstance(wanted, str):
        wanted = wanted.strip().lower()
    if wanted not in YES and wanted not in NO:
        errors["notify_replies"] = "notify_replies must be true or false"
    elif wanted in YES and not email and "email" not in errors:
        errors["notify_replies"] = "notify_replies needs an email to send the replies to"
    if errors or not email:
        return None, errors
    return (email, wanted in YES), errors


def clean_changes(form: Mapping, statuses: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Return (the cleaned changes of an edit, {field: why it is refused}).

    author and text are checked exactly as in a new comment; status must be one
    of statuses. Other fields are ignored, as in a new comment.
    """
    changes, errors = clean_fields(form, {field: limit for field, limit in LIMITS.items() if field in form})
    if "status" in form:
        status = form.get("status")
        if status in statuses:
            changes["status"] = status
        else:
            errors["status"] = f"status must be one of {', '.join(statuses)}"
    if not changes and not errors:
        errors["text"] = "nothing to change: send text, author or status"
    return changes, errors
