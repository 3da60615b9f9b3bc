"""Message formatting, as pure data: a small, safe Markdown subset parsed by markdown-it.

Both clients parse a body the same way (the browser with the markdown-it JavaScript
library of the same CommonMark behaviour, configured alike): the `"zero"` preset with
exactly emphasis (bold, italic), strikethrough, inline code, fenced code blocks, bullet
and numbered lists, quotes, links and `<autolinks>`, escapes, entities and line breaks
(a newline is a line break, as in chat). Never raw HTML (shown as text), images,
headings, tables, rules or indented code. Only `http:`, `https:` and `mailto:` targets
become links; any other `[text](target)` stays literal text.

`parse` turns a body into a renderer-neutral structure: a flat list of `Block`s
(paragraphs and code blocks, each with the depth of quotes around it and its place in a
list) holding `Span`s of text with their styles. Bare URLs in text are the clients'
business (they link them in text spans only, never in code).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: The markdown-it rules enabled on top of the "zero" preset (the browser client
#: enables the same list).
RULES = (
    "emphasis",
    "strikethrough",
    "backticks",
    "fence",
    "list",
    "blockquote",
    "link",
    "autolink",
    "escape",
    "newline",
    "paragraph",
    "text",
    "entity",
    "balance_pairs",
    "text_join",
    "fragments_join",
)
OPTIONS = {"html": False, "breaks": True, "linkify": False}
#: The only link targets that become links.
SCHEMES = ("http:", "https:", "mailto:")

BOLD, ITALIC, STRIKE, CODE, LINK, MENTION = "bold", "italic", "strike", "code", "link", "mention"
_STYLE_OF = {"strong": BOLD, "em": ITALIC, "s": STRIKE}
#: Bullets by list depth (deeper lists use the last).
BULLETS = ("•", "◦", "▪")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with its styles (`BOLD`, `ITALIC`, `STRIKE`, `CODE`, `LINK`,
    `MENTION`); a link's target is `href`."""

    text: str
    styles: frozenset[str] = frozenset()
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (`kind="paragraph"`) or a code block (`kind="code"`, one span, its
    text as written), inside `quote` quotes and `level` lists; `marker` ("•", "2.") is
    set on the first block of a list item, "" on the item's further blocks."""

    kind: str
    spans: tuple[Span, ...]
    quote: int = 0
    level: int = 0
    marker: str = ""

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


def _validate_link(default: Callable[[str], bool]) -> Callable[[str], bool]:
    def validate(url: str) -> bool:
        return default(url) and url.strip().lower().startswith(SCHEMES)

    return validate


@functools.cache
def parser() -> MarkdownIt:
    md = MarkdownIt("zero", OPTIONS).enable(list(RULES))
    md.validateLink = _validate_link(md.validateLink)  # type: ignore[method-assign,assignment]
    return md


@functools.lru_cache(maxsize=64)
def mention_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """`@name` for any of `names` as a whole word, any case (as the desktop's
    `mentions.mention_re`): not glued to what comes before, not followed by more of a
    name (a full stop ending a sentence is fine)."""
    names = tuple(n for n in names if n)
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w@.\-])@(?:{alternatives})(?![\w\-]|\.\w)", re.IGNORECASE)


#: A bare web address, which the clients link in text (as they always have): no
#: mention inside one.
BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)

#: A body that holds none of these (and starts with no list marker or space) is one
#: plain paragraph as it is: no need to run the parser.
_SPECIAL = re.compile(r"[*_~`\[\]<>&\\\n\r\0]|^[\s\-+\d]|\s$")


def parse(body: str, mentions: tuple[str, ...] = ()) -> tuple[Block, ...]:
    """The blocks of `body`; an `@name` of `mentions` in text (not in code, a link or a
    bare web address) gets the style `MENTION`. Cached: a body is parsed once."""
    return _parse(body, tuple(sorted({m.lower() for m in mentions if m})))


@functools.lru_cache(maxsize=8192)
def _parse(body: str, mentions: tuple[str, ...]) -> tuple[Block, ...]:
    if not body:
        return ()
    if _SPECIAL.search(body) is None:
        blocks: tuple[Block, ...] = (Block("paragraph", (Span(body),)),)
    else:
        blocks = tuple(_Walker().walk(parser().parse(body)))
    pattern = mention_pattern(mentions)
    if pattern is None:
        return blocks
    return tuple(_mark_mentions(block, pattern) for block in blocks)


def plain_text(body: str) -> str:
    """The body's text without its markup, blocks on lines of their own (for places that
    show one line: notifications, search results)."""
    return "\n".join(block.marker + " " * bool(block.marker) + block.text for block in parse(body))


class _Walker:
    """Walks markdown-it's token stream, keeping the quotes and lists it is in."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.quote = 0
        #: For each open list: the next number (None: a bullet list).
        self.lists: list[int | None] = []
        #: The marker the next block takes (the start of a list item).
        self.marker = ""

    def walk(self, tokens: list[Token]) -> list[Block]:
        for token in tokens:
            kind = token.type
            if kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind == "bullet_list_open":
                self.lists.append(None)
            elif kind == "ordered_list_open":
                self.lists.append(int(token.attrGet("start") or 1))
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.marker = self._next_marker(token)
            elif kind == "list_item_close" and self.marker:
                self._add("paragraph", ())  # an empty item: its marker alone
            elif kind == "inline":
                self._add("paragraph", tuple(_spans(token.children or [])))
            elif kind == "fence":
                self._add("code", (Span(token.content.removesuffix("\n"), frozenset({CODE})),))
        return self.blocks

    def _next_marker(self, token: Token) -> str:
        number = self.lists[-1]
        if number is None:
            return BULLETS[min(len(self.lists), len(BULLETS)) - 1]
        self.lists[-1] = number + 1
        return f"{number}{token.markup or '.'}"

    def _add(self, kind: str, spans: tuple[Span, ...]) -> None:
        self.blocks.append(Block(kind, spans, self.quote, len(self.lists), self.marker))
        self.marker = ""


def _spans(children: list[Token]) -> list[Span]:
    spans: list[Span] = []
    styles: set[str] = set()
    href: str | None = None

    def add(text: str, extra: frozenset[str] = frozenset()) -> None:
        style = frozenset(styles) | extra
        if spans and spans[-1].styles == style and spans[-1].href == href:
            spans[-1] = Span(spans[-1].text + text, style, href)
        elif text:
            spans.append(Span(text, style, href))

    for token in children:
        kind = token.type
        if kind in ("text", "text_special"):
            add(token.content)
        elif kind in ("softbreak", "hardbreak"):
            add("\n")
        elif kind == "code_inline":
            add(token.content, frozenset({CODE}))
        elif kind.endswith("_open") and kind[:-5] in _STYLE_OF:
            styles.add(_STYLE_OF[kind[:-5]])
        elif kind.endswith("_close") and kind[:-6] in _STYLE_OF:
            styles.discard(_STYLE_OF[kind[:-6]])
        elif kind == "link_open":
            href = str(token.attrGet("href") or "")
            styles.add(LINK)
        elif kind == "link_close":
            href = None
            styles.discard(LINK)
        else:  # nothing else is enabled; whatever it is, its text is shown as it is
            add(token.content)
    return spans


def _mark_mentions(block: Block, pattern: re.Pattern[str]) -> Block:
    if block.kind == "code":
        return block
    spans: list[Span] = []
    for span in block.spans:
        if CODE in span.styles or LINK in span.styles:
            spans.append(span)
            continue
        pos = 0
        urls = [m.span() for m in BARE_URL.finditer(span.text)]
        for match in pattern.finditer(span.text):
            if any(a <= match.start() < b for a, b in urls):
                continue
            if match.start() > pos:
                spans.append(Span(span.text[pos : match.start()], span.styles))
            spans.append(Span(match.group(0), span.styles | {MENTION}))
            pos = match.end()
        if pos < len(span.text):
            spans.append(Span(span.text[pos:], span.styles))
    return Block(block.kind, tuple(spans), block.quote, block.level, block.marker)
