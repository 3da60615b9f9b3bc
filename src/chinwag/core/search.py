"""The words of a search and where they are in a message: the rules both databases'
indexes follow (see `chinwag.store.sql.search`), for the server to split a query and to
mark what it found. Pure."""

from __future__ import annotations

import re

#: Words at most in a query, and characters at most in a word (more are dropped).
MAX_WORDS = 8
MAX_WORD = 64

#: Letters and digits (not the underscore): what both indexes take as a word.
_WORD = re.compile(r"[^\W_]+")


def words(query: str) -> list[str]:
    """The words of a query, as the index splits text: runs of letters and digits."""
    found: list[str] = []
    for word in _WORD.findall(query):
        word = word[:MAX_WORD]
        if word.casefold() not in (w.casefold() for w in found):
            found.append(word)
    return found[:MAX_WORDS]


def highlights(body: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the words of a query (or the starts of words) are in `body`: (start, end)
    character offsets, in order, not overlapping."""
    if not terms:
        return []
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(re.escape(t) for t in terms) + r")[^\W_]*", re.IGNORECASE
    )
    return [(m.start(), m.end()) for m in pattern.finditer(body)]
