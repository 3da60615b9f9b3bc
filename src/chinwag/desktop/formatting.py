"""Formatted bodies in the timeline: `chinwag.core.markup`'s blocks and spans turned into
the (text, tags) runs of a Tk Text, the tags that draw them, and links that show where
they go.

Fonts cannot be stacked by tags in Tk (the highest tag's font wins), so each mix of
bold and italic has a tag of its own (`md_b`, `md_i`, `md_bi`); inline code is `md_code`
(monospace on a tint), a code block `pre:Q:L` and a paragraph in Q quotes and L lists
`blk:Q:L` (its margins; a quote's bar is the margin's colour). A link of `[text](url)`
is tagged `url` and `href:N`, N its address's index in `Links`; hovering over any link
shows its real address at the bottom of the timeline, so `[bank](https://evil.example)`
cannot pass for something else (format_tags.py: the tags and the hover; no Tk here).
"""

from __future__ import annotations

from collections.abc import Callable

from chinwag.core.markup import BOLD, CODE, ITALIC, LINK, MENTION, STRIKE, Block, Span

Run = tuple[str, tuple[str, ...]]
#: Deeper quotes and lists are drawn as deep as this.
DEPTH = 3


class Links:
    """The addresses of the `[text](url)` links drawn: tag `href:N` is `hrefs[N]`."""

    def __init__(self) -> None:
        self.hrefs: list[str] = []
        self._index: dict[str, int] = {}

    def tag(self, href: str) -> str:
        n = self._index.get(href)
        if n is None:
            n = self._index[href] = len(self.hrefs)
            self.hrefs.append(href)
        return f"href:{n}"

    def href(self, tag: str) -> str | None:
        kind, _, n = tag.partition(":")
        if kind != "href" or not n.isdigit() or int(n) >= len(self.hrefs):
            return None
        return self.hrefs[int(n)]


def block_tag(block: Block) -> str | None:
    """The tag of the block's margins, or None for a plain top-level paragraph."""
    q, lv = min(block.quote, DEPTH), min(block.level, DEPTH)
    if block.kind == "code":
        return f"pre:{q}:{lv}"
    return f"blk:{q}:{lv}" if q or lv else None


def font_tag(styles: frozenset[str]) -> str | None:
    if CODE in styles:
        return "md_code"
    bold, italic = BOLD in styles, ITALIC in styles
    if bold and italic:
        return "md_bi"
    return "md_b" if bold else "md_i" if italic else None


Text = Callable[[str, tuple[str, ...]], list[Run]]


def runs_of(
    blocks: tuple[Block, ...],
    tags: tuple[str, ...],
    *,
    plain: Text,
    rich: Text,
    links: Links,
) -> list[Run]:
    """The runs of `blocks`, each block ending with its own "\\n" run. `plain(text, tags)`
    draws text as it is (bidi controls as tags, emoji in their font); `rich` also turns
    bare URLs into links (not in code, not inside a link)."""
    runs: list[Run] = []
    prev: Block | None = None
    for block in blocks:
        where = block_tag(block)
        btags = (*tags, where) if where else tags
        if prev is not None and not (block.marker and prev.level):
            btags = (*btags, "md_gap")  # a block of its own (items of a list stay tight)
        if block.marker:
            runs.append((block.marker + " ", (*btags, "md_marker")))
        if block.kind == "code":
            runs.extend(plain(block.text, (*btags, "md_pre")))
        else:
            for span in block.spans:
                runs.extend(_span(span, btags, plain, rich, links))
        runs.append(("\n", btags))
        prev = block
    return runs


def _span(span: Span, tags: tuple[str, ...], plain: Text, rich: Text, links: Links) -> list[Run]:
    styles = span.styles
    extra = [t for t in (font_tag(styles), "md_s" if STRIKE in styles else None) if t]
    if MENTION in styles:
        extra.append("mention_name")
    if LINK in styles and span.href:
        extra += ["url", links.tag(span.href)]
    stags = (*tags, *extra)
    if CODE in styles or LINK in styles:
        return plain(span.text, stags)
    return rich(span.text, stags)
