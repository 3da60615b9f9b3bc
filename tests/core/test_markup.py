"""The formatting subset, as data: the ten cases both clients render alike, then the
rules around them (links, mentions, the shortcut for plain bodies, the cache)."""

from __future__ import annotations

import random

import pytest

from chinwag.core import markup
from chinwag.core.markup import (
    BOLD,
    CODE,
    ITALIC,
    LINK,
    MENTION,
    STRIKE,
    Block,
    Span,
    parse,
    plain_text,
)


def S(text: str, *styles: str, href: str | None = None) -> Span:
    return Span(text, frozenset(styles), href)


def para(*spans: Span, **kw: object) -> Block:
    return Block("paragraph", spans, **kw)  # type: ignore[arg-type]


# -- the ten cases -------------------------------------------------------------------------
def test_1_bold_italic_and_strikethrough() -> None:
    assert parse("**bold** and *italic* and ~~gone~~") == (
        para(S("bold", BOLD), S(" and "), S("italic", ITALIC), S(" and "), S("gone", STRIKE)),
    )
    assert parse("__b__ _i_ ***both***") == (
        para(S("b", BOLD), S(" "), S("i", ITALIC), S(" "), S("both", BOLD, ITALIC)),
    )


def test_2_inline_code() -> None:
    assert parse("use `make test` now") == (para(S("use "), S("make test", CODE), S(" now")),)


def test_3_a_code_block_keeps_its_indentation_and_no_formatting() -> None:
    (block,) = parse("```\nline 1\n  line 2\n```")
    assert block == Block("code", (S("line 1\n  line 2", CODE),))
    (block,) = parse("```python\n**x** and <b>\n```")  # the language word is ignored
    assert block == Block("code", (S("**x** and <b>", CODE),))


def test_4_a_bullet_list_then_a_numbered_one() -> None:
    assert parse("- one\n- two\n1. first") == (
        para(S("one"), level=1, marker="•"),
        para(S("two"), level=1, marker="•"),
        para(S("first"), level=1, marker="1."),
    )
    numbers = [b.marker for b in parse("3. c\n4. d\n\n   more of d")]
    assert numbers == ["3.", "4.", ""]  # a list keeps its start; a further paragraph no marker
    assert [(b.level, b.marker) for b in parse("- a\n  - b")] == [(1, "•"), (2, "◦")]


def test_5_quotes_with_lazy_continuation_and_after_a_blank_line() -> None:
    assert parse("> quoted\nreply") == (para(S("quoted\nreply"), quote=1),)
    assert parse("> quoted\n\nreply") == (para(S("quoted"), quote=1), para(S("reply")))
    assert parse("> > deep") == (para(S("deep"), quote=2),)


def test_6_only_web_and_mail_links() -> None:
    assert parse("[docs](https://example.com/x)") == (
        para(S("docs", LINK, href="https://example.com/x")),
    )
    assert parse("[x](javascript:alert(1))") == (para(S("[x](javascript:alert(1))")),)
    for target in ("file:///etc/passwd", "data:text/html,hi", "ftp://x.org", "relative/path"):
        body = f"[x]({target})"
        assert parse(body) == (para(S(body)),)
    assert parse("<https://a.org/b> <ada@example.com>") == (
        para(
            S("https://a.org/b", LINK, href="https://a.org/b"),
            S(" "),
            S("ada@example.com", LINK, href="mailto:ada@example.com"),
        ),
    )
    assert parse("[**bold** docs](http://x.org)") == (
        para(S("bold", BOLD, LINK, href="http://x.org"), S(" docs", LINK, href="http://x.org")),
    )


def test_7_raw_html_is_text() -> None:
    body = "<b>not bold</b> <img src=x onerror=alert(1)>"
    assert parse(body) == (para(S(body)),)
    assert parse("![alt](https://x.org/a.png)") == (
        para(S("!"), S("alt", LINK, href="https://x.org/a.png")),
    )  # no image: a link to it at most


def test_8_no_headings_rules_tables_or_indented_code() -> None:
    assert parse("# not a heading") == (para(S("# not a heading")),)
    assert parse("    four spaces") == (para(S("four spaces")),)
    assert parse("---") == (para(S("---")),)
    assert parse("a | b\n--|--\n1 | 2") == (para(S("a | b\n--|--\n1 | 2")),)
    assert parse("title\n=====") == (para(S("title\n=====")),)


def test_9_a_bold_mention() -> None:
    assert parse("**@ada** look", ("ada",)) == (para(S("@ada", BOLD, MENTION), S(" look")),)
    assert parse("**@ada** look") == (para(S("@ada", BOLD), S(" look")),)


def test_10_a_newline_is_a_line_break() -> None:
    assert parse("a\nb") == (para(S("a\nb")),)


# -- the rules around them -----------------------------------------------------------------
def test_mentions_are_whole_words_never_in_code_or_links() -> None:
    (block,) = parse("@Ada, @adam and `@ada` [@ada](https://x.org) email@ada.com @ADA.", ("ada",))
    assert [s.text for s in block.spans if MENTION in s.styles] == ["@Ada", "@ADA"]
    (block,) = parse("see www.x.org/@ada or https://y.org/@ada, @ada", ("ada",))
    assert [s.text for s in block.spans if MENTION in s.styles] == ["@ada"]
    (block,) = parse("@here and @room", ("ada", "here"))
    assert [s.text for s in block.spans if MENTION in s.styles] == ["@here"]
    assert parse("```\n@ada\n```", ("ada",)) == (Block("code", (S("@ada", CODE),)),)


def test_escapes_entities_and_nothing_lost() -> None:
    assert parse(r"\*not italic\* &amp; &copy;") == (para(S("*not italic* & ©")),)
    assert parse("") == ()
    assert parse("- ") == (para(marker="•", level=1),)  # an empty item still shows


def test_plain_text_drops_the_markup() -> None:
    assert plain_text("**hi** `there`\n- one") == "hi there\n• one"


ALPHABET = "ab *_~`[]()<>&\\\n-+1.#>@:/"


def test_the_shortcut_for_plain_bodies_gives_what_the_parser_gives() -> None:
    rng = random.Random(12)
    bodies = ["hello there", "ok", "see https://x.org/a?b=c", "it's 5 o'clock!", "#general"]
    bodies += ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    for body in bodies:
        full = tuple(markup._Walker().walk(markup.parser().parse(body)))
        assert markup._parse(body, ()) == full, body


def test_a_body_is_parsed_once() -> None:
    markup._parse.cache_clear()
    first = parse("**cached** body")
    again = parse("**cached** body")
    assert first is again
    assert markup._parse.cache_info().hits == 1


@pytest.mark.parametrize("body", ["[a](https://x.org)", "<https://x.org>"])
def test_the_parser_is_configured_as_documented(body: str) -> None:
    md = markup.parser()
    assert md.options["html"] is False and md.options["breaks"] is True
    assert md.options["linkify"] is False
    active = set(md.get_active_rules()["block"]) | set(md.get_active_rules()["inline"])
    assert active.isdisjoint({"html_block", "html_inline", "image", "heading", "table", "code"})
    assert "link" in active and "autolink" in active and parse(body)[0].spans[0].href
