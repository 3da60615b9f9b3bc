"""Validation and normalisation of names, passwords, colours and message bodies."""

from __future__ import annotations

import base64
import re
import secrets
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

#: Noncharacters: U+FDD0-U+FDEF and the last two code points of every plane. They are
#: reserved for a program's own use and never belong in interchanged text.
NONCHARACTERS = frozenset(
    [*map(chr, range(0xFDD0, 0xFDF0))]
    + [chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)]
)


def _dropped_re(keep: str) -> re.Pattern[str]:
    """A regex class of the control characters but `keep`, surrogates and
    noncharacters: matched in C, not one by one."""
    chars = "".join(re.escape(ch) for ch in _CONTROL_CHARS if ch not in keep)
    nonchars = "".join(sorted(NONCHARACTERS))
    return re.compile(f"[{chars}{nonchars}\\ud800-\\udfff]")


_DROPPED = {keep: _dropped_re(keep) for keep in ("", "\n\t")}


def _no_controls(text: str, keep: str = "") -> str:
    return _DROPPED[keep].sub("", text)


#: Letters and symbols that Unicode does not call white space but that fonts draw as a
#: blank: the Hangul fillers, the blank braille pattern, the null notehead. In one-line
#: texts they count as white space; in no text do they count as visible.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\U0001d159")

#: Combining marks that draw nothing: the grapheme joiner, the Khmer inherent vowels and
#: the Khitan filler. One-line texts drop them.
ZERO_WIDTH_MARKS = frozenset("\u034f\u17b4\u17b5\U00016fe4")

#: Variation selectors (which glyph of the character before: text or emoji style...).
VARIATION_SELECTORS = frozenset(
    [*map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))]
)

#: Categories of characters that show nothing by themselves: separators (Zs, Zl, Zp),
#: controls (Cc), format characters (Cf: zero-width spaces, joiners, bidi controls,
#: tags, the musical beams U+1D173-U+1D17A, the Mongolian vowel separator), surrogates
#: (Cs), private use (Co, drawn as whatever a font wants), unassigned (Cn, but see
#: `FUTURE_PICTOGRAPHS`), and combining marks (Mn, Me: they decorate the character
#: before, variation selectors included).
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


#: Where Unicode keeps room for future emoji (its Extended_Pictographic property covers
#: the unassigned code points here). An emoji newer than this Python's Unicode tables is
#: unassigned to them, yet people see it: those count as visible, and stay in name keys.
FUTURE_PICTOGRAPHS = range(0x1F000, 0x1FFFE)


def _unassigned(ch: str) -> bool:
    return unicodedata.category(ch) == "Cn" and ord(ch) not in FUTURE_PICTOGRAPHS


def is_visible(ch: str) -> bool:
    """Whether the character shows something by itself."""
    category = unicodedata.category(ch)
    if category == "Cn":
        return ord(ch) in FUTURE_PICTOGRAPHS and ch not in NONCHARACTERS
    return not (ch in BLANK_LOOKING or category in INVISIBLE_CATEGORIES or ch.isspace())


def has_visible(text: str) -> bool:
    return any(map(is_visible, text))


#: The zero-width joiner holds emoji sequences together; other format characters
#: (zero-width spaces, bidi overrides) only serve to disguise a name.
_ZWJ = "\u200d"
_BLANKS_TO_SPACE = {ord(ch): " " for ch in BLANK_LOOKING} | {
    ord(ch): None for ch in ZERO_WIDTH_MARKS
}


def _no_format(text: str) -> str:
    return "".join(ch for ch in text if ch == _ZWJ or unicodedata.category(ch) != "Cf")


def _single_line(text: str, what: str, maximum: int, *, allow_empty: bool = False) -> str:
    # Every whitespace character (tabs, CR, LF, form feeds, NEL, U+2028...) and every
    # blank-looking letter becomes a word break first; only then are the remaining
    # control, format and non-characters dropped.
    spaced = " ".join(text.translate(_BLANKS_TO_SPACE).split())
    cleaned = " ".join(_no_format(_no_controls(spaced)).split())
    if not has_visible(cleaned):
        if not allow_empty:
            raise invalid(f"{what} cannot be empty: it needs a visible character")
        cleaned = ""
    if len(cleaned) > maximum:
        raise invalid(f"{what} has at most {maximum} characters")
    return cleaned


#: Letters of other scripts that look like a Latin letter in common fonts (a selection
#: of Unicode's confusables, UTS #39: Cyrillic, Greek, Armenian and Latin IPA letters),
#: by the small Latin letter they pass for. Applied after case folding, so a capital is
#: folded through its small letter: Greek capital eta looks like H, so small eta counts
#: as h too. Latin letters among themselves (I and l, 0 and O, rn and m) are not folded:
#: usernames are ASCII and already unique in any case, and folding them would make
#: names taken long ago collide. The table is part of the stored keys (`users.key` of
#: `names`): changing it needs a migration that recomputes them.
LOOKALIKES = {
    "a": "\u0430\u03b1\u0251",  # Cyrillic a, Greek alpha, Latin alpha
    "b": "\u0432\u044c\u03b2",  # Cyrillic ve (B), soft sign, Greek beta
    "c": "\u0441",  # Cyrillic es
    "d": "\u0501",  # Cyrillic komi de
    "e": "\u0435\u03b5",  # Cyrillic ie, Greek epsilon
    "g": "\u0261\u0581",  # Latin script g, Armenian co
    "h": "\u043d\u04bb\u03b7\u0570",  # Cyrillic en (H), shha, Greek eta (H), Armenian ho
    "i": "\u0456\u03b9\u0131\u0269",  # Cyrillic i, Greek iota, dotless i, Latin iota
    "j": "\u0458\u03f3",  # Cyrillic je, Greek yot
    "k": "\u043a\u03ba",  # Cyrillic ka, Greek kappa
    "l": "\u04cf",  # Cyrillic palochka
    "m": "\u043c\u03bc",  # Cyrillic em (M), Greek mu (M)
    "n": "\u0578",  # Armenian vo
    "o": "\u043e\u03bf\u0585",  # Cyrillic o, Greek omicron, Armenian oh
    "p": "\u0440\u03c1",  # Cyrillic er, Greek rho
    "q": "\u051b\u0566",  # Cyrillic qa, Armenian za
    "s": "\u0455",  # Cyrillic dze
    "t": "\u0442\u03c4",  # Cyrillic te (T), Greek tau (T)
    "u": "\u057d",  # Armenian seh
    "v": "\u03bd\u0475",  # Greek nu, Cyrillic izhitsa
    "w": "\u051d\u0461",  # Cyrillic we, omega
    "x": "\u0445\u03c7",  # Cyrillic ha, Greek chi
    "y": "\u0443\u04af\u03c5\u03b3",  # Cyrillic u, straight u, Greek upsilon (Y), gamma
    "z": "\u03b6",  # Greek zeta (Z)
}
_FOLD = {ord(ch): latin for latin, chars in LOOKALIKES.items() for ch in chars}


def _key_char(ch: str) -> str:
    if ch.isspace() or ch in BLANK_LOOKING:
        return " "
    if (
        unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")
        or _unassigned(ch)
        or ch in NONCHARACTERS
        or ch in ZERO_WIDTH_MARKS
        or ch in VARIATION_SELECTORS
    ):
        return ""
    return ch


def name_key(name: str) -> str:
    """The key two names share when they would pass for each other in a member list:
    compatibility forms unified (NFKC: full-width and mathematical letters, ligatures),
    letter case folded, look-alikes of Latin letters of other scripts folded (also under
    an accent), invisible characters dropped, blanks and white space runs collapsed to
    one space. A username's key is its `canonical` form."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    text = "".join(map(_key_char, text.translate(_FOLD)))
    return " ".join(unicodedata.normalize("NFC", text).split())


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
    """Normalise line ends, drop control characters (but newlines and tabs) and
    noncharacters, trim the ends; at least one character must be visible. Format
    characters are kept (bidi controls too: the clients draw them harmless)."""
    cleaned = _no_controls(body.replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t").strip()
    if not has_visible(cleaned):
        raise invalid("a message cannot be empty: it needs a visible character")
    if len(cleaned) > max_chars:
        raise invalid(f"a message has at most {max_chars} characters (this one has {len(cleaned)})")
    return cleaned


#: Private rooms' ids: this prefix and a random token, so that an id says nothing of
#: the room's name and cannot meet a public room's slug (slugs hold no ':').
PRIVATE_ROOM_PREFIX = "p:"


def random_token(length: int) -> str:
    """`length` random characters of a-z and 2-7 (5 bits each)."""
    return base64.b32encode(secrets.token_bytes(length)).decode().lower()[:length]


def private_room_id() -> str:
    return PRIVATE_ROOM_PREFIX + random_token(16)


def room_slug(name: str) -> str:
    """A readable id for a public room, made from its name: 'LAN Party!' -> 'lan-party'."""
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
