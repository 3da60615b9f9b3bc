"""Emoji by name, as pure data for both clients and the server: `:shortcode:` names,
completion of a name being typed, the picker's table and what counts as one emoji
(a reaction).

The names are the `emoji` package's English CLDR names and its aliases (`:thumbs_up:`,
`:+1:`, `:smile:`), lower-cased. The browser client gets the same table from the server
(`/assets/emoji.json`), so both clients know the same names.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import emoji as emoji_data
import msgspec

#: Shown first in the picker: what people react with most.
POPULAR = tuple(
    [
        "👍",
        "👎",
        "😄",
        "😂",
        "❤️",
        "🎉",
        "🙏",
        "👀",
        "🔥",
        "✅",
        "😮",
        "😢",
        "😅",
        "🤔",
        "👏",
        "🙌",
        "💯",
        "🚀",
        "😊",
        "😉",
        "😎",
        "🤝",
        "⭐",
        "☕",
    ]
)

_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_NAME = re.compile(r":([^\s:]{1,60}):")
#: Code, where `:name:` stays as typed: fenced blocks (to their end, or the text's) and
#: inline spans. The browser client's emoji.js uses the same two patterns.
_CODE = re.compile(r"```[\s\S]*?(?:```|$)|`[^`\n]*`")


@dataclass(frozen=True, slots=True)
class Entry:
    emoji: str
    #: The CLDR name, without colons ("thumbs_up").
    name: str
    #: Other names it is known by ("+1", "thumbsup").
    aliases: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _bare(code: str) -> str:
    return code.strip(":").lower()


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every fully qualified emoji without a skin tone: the popular ones first, then by
    the Unicode version that brought them (the older, the better known) and name."""
    found: list[tuple[float, str, Entry]] = []
    for char, data in emoji_data.EMOJI_DATA.items():
        if data["status"] != emoji_data.STATUS["fully_qualified"]:
            continue
        if any(c in _SKIN_TONES for c in char):
            continue
        name = _bare(data["en"])
        aliases = tuple(dict.fromkeys(a for a in map(_bare, data.get("alias", ())) if a != name))
        found.append((float(data["E"]), name, Entry(char, name, aliases)))
    found.sort(key=lambda item: (item[0], item[1]))
    rank = {char: i for i, char in enumerate(POPULAR)}
    ordered = sorted((e for _, _, e in found), key=lambda e: rank.get(e.emoji, len(rank)))
    return tuple(ordered)


@functools.cache
def _by_name() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in entries():
        for name in entry.names:
            table.setdefault(name, entry.emoji)
    # Names of qualified forms with a skin tone (":thumbs_up_medium_skin_tone:").
    for char, data in emoji_data.EMOJI_DATA.items():
        if data["status"] == emoji_data.STATUS["fully_qualified"]:
            for code in (data["en"], *data.get("alias", ())):
                table.setdefault(_bare(code), char)
    return table


def lookup(name: str) -> str | None:
    """The emoji called `name` (with or without colons, any case), or None."""
    return _by_name().get(_bare(name))


def emojize(text: str) -> str:
    """`text` with every known `:name:` replaced by its emoji, outside code; unknown
    names stay as typed."""
    if ":" not in text:
        return text
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(text):
        out += [_names(text[last : code.start()]), code.group(0)]
        last = code.end()
    out.append(_names(text[last:]))
    return "".join(out)


def _names(text: str) -> str:
    return _NAME.sub(lambda m: lookup(m.group(1)) or m.group(0), text)


def complete(prefix: str, limit: int = 8) -> list[tuple[str, str]]:
    """(name, emoji) pairs for a name being typed after a colon: names that start with
    `prefix` first (shortest first), then names with a word that does; each emoji once."""
    key = _bare(prefix)
    if not key:
        return []
    starts: list[tuple[int, str, str]] = []
    inside: list[tuple[int, str, str]] = []
    for entry in entries():
        for name in entry.names:
            if name.startswith(key):
                starts.append((len(name), name, entry.emoji))
                break
            if f"_{key}" in name:
                inside.append((len(name), name, entry.emoji))
                break
    chosen: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _, name, char in sorted(starts) + sorted(inside):
        if char not in seen:
            seen.add(char)
            chosen.append((name, char))
        if len(chosen) >= limit:
            break
    return chosen


def is_one_emoji(text: str) -> bool:
    """Whether `text` is exactly one emoji (skin tones and joined sequences included),
    as a reaction must be."""
    return bool(text) and emoji_data.purely_emoji(text) and emoji_data.emoji_count(text) == 1


@functools.cache
def table_json() -> bytes:
    """The picker's table for the browser: `[[emoji, name, alias, ...], ...]` in picker
    order."""
    return msgspec.json.encode([[e.emoji, *e.names] for e in entries()])
