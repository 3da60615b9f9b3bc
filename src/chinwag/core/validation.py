"""Validation and normalisation of names, passwords, colours and message bodies."""

from __future__ import annotations

import re
import unicodedata
import zlib

from chinwag.core.errors import invalid

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
PASSWORD_MIN = 8
PASSWORD_MAX = 256
DISPLAY_NAME_MAX = 64
ROOM_NAME_MAX = 48
TOPIC_MAX = 300
REASON_MAX = 300
GENERAL = "general"

#: Name colours readable on both light and dark backgrounds.
PALETTE = (
    "#e0245e",
    "#f45d22",
    "#d4a000",
    "#17a34a",
    "#0ea5a4",
    "#1d9bf0",
    "#6366f1",
    "#a855f7",
    "#db2777",
    "#65a30d",
)


def canonical(username: str) -> str:
    """The case-insensitive key of a username."""
    return username.lower()


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise invalid(
            "a username is 1 to 32 letters, digits, '_', '-' or '.', starting with a letter"
            " or digit (no spaces or accents)"
        )
    return username


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise invalid(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise invalid(f"a password has at most {PASSWORD_MAX} characters")
    return password


#: Unicode's control characters (Cc: fixed by Unicode's stability policy to these 65)
#: and surrogates (Cs): the characters `unicodedata.category` puts in Cc or Cs.
_CONTROL_CHARS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]


def _controls_re(keep: str) -> re.Pattern[str]:
    """A regex class of those characters but `keep`, matched in C, not one by one."""
    chars = "".join(re.escape(ch) for ch in _CONTROL_CHARS if ch not in keep)
    return re.compile(f"[{chars}\\ud800-\\udfff]")


_CONTROLS = {keep: _controls_re(keep) for keep in ("", "\n\t")}


def _no_controls(text: str, keep: str = "") -> str:
    return _CONTROLS[keep].sub("", text)


#: The zero-width joiner holds emoji sequences together; other format characters
#: (zero-width spaces, bidi overrides) only serve to disguise a name.
_ZWJ = "\u200d"


def _no_format(text: str) -> str:
    return "".join(ch for ch in text if ch == _ZWJ or unicodedata.category(ch) != "Cf")


def _visible(text: str) -> bool:
    return any(
        not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn", "Me", "Zs") for ch in text
    )


def _single_line(text: str, what: str, maximum: int, *, allow_empty: bool = False) -> str:
    # Every whitespace character (tabs, CR, LF, form feeds, NEL, U+2028...) becomes a word
    # break first; only then are the remaining control characters dropped.
    cleaned = " ".join(_no_format(_no_controls(" ".join(text.split()))).split())
    if not _visible(cleaned) and not allow_empty:
        raise invalid(f"{what} cannot be empty")
    if len(cleaned) > maximum:
        raise invalid(f"{what} has at most {maximum} characters")
    return cleaned


def check_display_name(name: str) -> str:
    return _single_line(name, "a display name", DISPLAY_NAME_MAX)


def check_room_name(name: str) -> str:
    return _single_line(name, "a room name", ROOM_NAME_MAX)


def check_topic(topic: str) -> str:
    return _single_line(topic, "a topic", TOPIC_MAX, allow_empty=True)


def check_reason(reason: str) -> str:
    return _single_line(reason, "a reason", REASON_MAX, allow_empty=True)


def check_color(color: str) -> str:
    if not COLOR_RE.fullmatch(color):
        raise invalid("a colour is written #rrggbb, for example #1d9bf0")
    return color.lower()


def default_color(username: str) -> str:
    return PALETTE[zlib.crc32(canonical(username).encode()) % len(PALETTE)]


def check_body(body: str, max_chars: int) -> str:
    """Normalise line ends, drop control characters but newlines and tabs, trim ends."""
    cleaned = _no_controls(body.replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t").strip()
    if not _visible(cleaned):
        raise invalid("a message cannot be empty")
    if len(cleaned) > max_chars:
        raise invalid(f"a message has at most {max_chars} characters (this one has {len(cleaned)})")
    return cleaned


def room_slug(name: str) -> str:
    """A readable room id made from its name: 'LAN Party!' -> 'lan-party'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    if not slug or slug.startswith("dm-") or slug == GENERAL:
        slug = f"room-{slug}" if slug else "room"
    return slug


def dm_room_id(user_a: str, user_b: str) -> str:
    """The one DM room of a pair: the same id whoever opens it."""
    first, second = sorted((canonical(user_a), canonical(user_b)))
    return f"dm:{first}:{second}"


def is_dm_room_id(room_id: str) -> bool:
    return room_id.startswith("dm:")
