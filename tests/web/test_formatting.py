"""Formatting in the browser: the Markdown subset both clients parse alike (markdown-it in
the page, markdown-it-py in the desktop), drawn as elements; what is off stays text;
links only to http(s) and mailto, never deceiving; mentions marked, never in code;
quotes and notifications as plain text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

# A message body as a tree: an element is [tag, ...children] (with "href" and "start"
# noted after the tag as {"href": ...}), text is a string; bidi tags as ["abbr", "RLO"].
OUTLINE = """(body) => {
  const row = [...document.querySelectorAll('#messages .msg')]
    .find((r) => r.dataset.seq === String(body));
  const el = row.querySelector('.msg-body');
  const walk = (n) => {
    if (n.nodeType === Node.TEXT_NODE) return n.data;
    const out = [n.tagName.toLowerCase()];
    const attrs = {};
    for (const a of ['href', 'start', 'title', 'rel', 'class']) {
      if (n.hasAttribute(a) && !(a === 'class' && n === el)) attrs[a] = n.getAttribute(a);
    }
    if (Object.keys(attrs).length) out.push(attrs);
    for (const c of n.childNodes) out.push(walk(c));
    return out;
  };
  return [el.className, [...el.childNodes].map(walk)];
}"""

LINK_REL = "noopener noreferrer nofollow"

CASES: list[tuple[str, str, list[Any]]] = [
    (
        "**bold** and *italic* and ~~gone~~",
        "msg-body",
        [["strong", "bold"], " and ", ["em", "italic"], " and ", ["s", "gone"]],
    ),
    (
        "__also bold__ _also italic_",
        "msg-body",
        [["strong", "also bold"], " ", ["em", "also italic"]],
    ),
    ("use `make test` now", "msg-body", ["use ", ["code", "make test"], " now"]),
    (
        "```python\nline 1\n  line 2 **x** @ada\n```",
        "msg-body md",
        [["pre", {"class": "code-block"}, ["code", "line 1\n  line 2 **x** @ada"]]],
    ),
    (
        "- one\n- two\n1. first",
        "msg-body md",
        [["ul", ["li", "one"], ["li", "two"]], ["ol", ["li", "first"]]],
    ),
    ("3. three\n4. four", "msg-body md", [["ol", {"start": "3"}, ["li", "three"], ["li", "four"]]]),
    # breaks: true and CommonMark's lazy continuation: "reply" is in the quote too.
    ("> quoted\nreply", "msg-body md", [["blockquote", ["p", "quoted", "\n", "reply"]]]),
    ("> quoted\n\nreply", "msg-body md", [["blockquote", ["p", "quoted"]], ["p", "reply"]]),
    (
        "[docs](https://example.com/x)",
        "msg-body",
        [
            [
                "a",
                {
                    "href": "https://example.com/x",
                    "title": "https://example.com/x",
                    "rel": LINK_REL,
                },
                "docs",
            ]
        ],
    ),
    ("[x](javascript:alert(1))", "msg-body", ["[x](javascript:alert(1))"]),
    (
        "[rel](/etc/passwd) [ftp](ftp://example.com)",
        "msg-body",
        ["[rel](/etc/passwd) [ftp](ftp://example.com)"],
    ),
    (
        "<https://example.com/a> and <ada@example.com>",
        "msg-body",
        [
            [
                "a",
                {
                    "href": "https://example.com/a",
                    "title": "https://example.com/a",
                    "rel": LINK_REL,
                },
                "https://example.com/a",
            ],
            " and ",
            [
                "a",
                {
                    "href": "mailto:ada@example.com",
                    "title": "mailto:ada@example.com",
                    "rel": LINK_REL,
                },
                "ada@example.com",
            ],
        ],
    ),
    (
        "<b>not bold</b> <img src=x onerror=alert(1)>",
        "msg-body",
        ["<b>not bold</b> <img src=x onerror=alert(1)>"],
    ),
    ("# not a heading", "msg-body", ["# not a heading"]),
    ("    four spaces", "msg-body", ["four spaces"]),
    # No rule, table or image: an image's syntax is a "!" and a link to it.
    (
        "---\n| a | b |\n![img](https://example.com/i.png)",
        "msg-body",
        [
            "---",
            "\n",
            "| a | b |",
            "\n",
            "!",
            [
                "a",
                {
                    "href": "https://example.com/i.png",
                    "title": "https://example.com/i.png",
                    "rel": LINK_REL,
                },
                "img",
            ],
        ],
    ),
    ("**@ada** look", "msg-body", [["strong", ["mark", {"class": "mention"}, "@ada"]], " look"]),
    ("`@ada` is code", "msg-body", [["code", "@ada"], " is code"]),
    ("a\nb", "msg-body", ["a", "\n", "b"]),
    (r"\*not italic\* &amp; &lt;b&gt;", "msg-body", ["*not italic* & <b>"]),
    # A bare address is linked in text, not in code.
    (
        "see https://example.com/y and `https://example.com/z`",
        "msg-body",
        [
            "see ",
            [
                "a",
                {"href": "https://example.com/y", "rel": "noopener noreferrer"},
                "https://example.com/y",
            ],
            " and ",
            ["code", "https://example.com/z"],
        ],
    ),
]


async def test_the_formatting_subset_renders_as_elements(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    seqs = []
    for i, (body, _, _) in enumerate(CASES):
        reply = await bob.ok("send", room="general", body=body, client_msg_id=f"f{i}")
        seqs.append(reply["message"]["seq"])
    await expect(ada.page.locator(f"#m-general-{seqs[-1]}")).to_be_visible()
    for seq, (body, classes, tree) in zip(seqs, CASES, strict=True):
        got = await ada.page.evaluate(OUTLINE, seq)
        assert got == [classes, tree], f"{body!r}:\n{got}"
    # Nothing the body said became an element it did not allow.
    assert (
        await ada.page.locator("#messages b, #messages img, #messages h1, #messages hr").count()
        == 0
    )
    # Inline code and code blocks are drawn in a monospace font.
    fonts = await ada.page.eval_on_selector_all(
        "#messages .msg-body code", "els => els.map(e => getComputedStyle(e).fontFamily)"
    )
    assert fonts and all("monospace" in f for f in fonts)
    # The row of a message that mentions ada in bold is marked as one; in code it is not
    # a mention.
    bodies = [body for body, _, _ in CASES]
    mentioned = ada.page.locator(f"#m-general-{seqs[bodies.index('**@ada** look')]}")
    await expect(mentioned).to_have_class(re.compile(r"\bmentions-me\b"))
    in_code = ada.page.locator(f"#m-general-{seqs[bodies.index('`@ada` is code')]}")
    await expect(in_code).not_to_have_class(re.compile(r"\bmentions-me\b"))
    await bob.close()
    await ada.close()


async def test_links_cannot_deceive(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bodies = [
        "[https://bank.example](https://evil.example/login)",
        "[www.bank.example](https://evil.example/)",
        "[ada@bank.example](mailto:eve@evil.example)",
        "[example.com](https://example.com/docs)",
        "[bank](https://evil.example/pay)",
        "[pay \u202egnp.exe](https://example.com/x)",
    ]
    for i, body in enumerate(bodies):
        await bob.ok("send", room="general", body=body, client_msg_id=f"l{i}")
    page = ada.page
    links = page.locator("#messages .msg-body a")
    await expect(links).to_have_count(len(bodies))
    got = await links.evaluate_all(
        "els => els.map(a => [a.textContent, a.getAttribute('href'), a.className, a.title])"
    )
    odd = "The real address of this link (its text named another one): "
    assert got == [
        [
            "https://evil.example/login",
            "https://evil.example/login",
            "odd-link",
            odd + "https://evil.example/login",
        ],
        [
            "https://evil.example/",
            "https://evil.example/",
            "odd-link",
            odd + "https://evil.example/",
        ],
        [
            "mailto:eve@evil.example",
            "mailto:eve@evil.example",
            "odd-link",
            odd + "mailto:eve@evil.example",
        ],
        ["example.com", "https://example.com/docs", "", "https://example.com/docs"],
        ["bank", "https://evil.example/pay", "", "https://evil.example/pay"],
        ["pay RLOgnp.exe", "https://example.com/x", "", "https://example.com/x"],
    ]
    # The bidi control inside a link's text is a visible tag, not a reordering.
    await expect(links.nth(5).locator("abbr.bidi-mark")).to_have_text("RLO")
    for a in await links.all():
        assert await a.get_attribute("target") == "_blank"
        assert await a.get_attribute("rel") == "noopener noreferrer nofollow"
    await bob.close()
    await ada.close()


async def test_quotes_and_notifications_are_plain_text(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    from tests.web.test_features import FAKE_NOTIFICATIONS

    async def setup(page: object) -> None:
        await page.add_init_script(FAKE_NOTIFICATIONS)  # type: ignore[attr-defined]

    bob = await ws_register(web.ws_url, "bob")
    ada = await ChatPage.open(browser, web, setup=setup)
    await ada.register("ada")
    page = ada.page
    await page.get_by_role("button", name="Desktop notifications").click()
    await page.evaluate("window.__focus = false; window.dispatchEvent(new Event('blur'))")
    # A mention only in code does not notify; one in bold does, as plain text.
    await bob.ok("send", room="general", body="`@ada` is only code", client_msg_id="b1")
    await bob.ok(
        "send",
        room="general",
        body="**@ada** see `make test` and [the docs](https://example.com)\n- one\n- two",
        client_msg_id="b2",
    )
    notes = await ada.wait_until("() => window.__notes.length >= 1 && window.__notes")
    assert notes == [
        {"title": "bob in #general", "body": "@ada see make test and the docs\none\ntwo"}
    ]
    await page.evaluate("window.__focus = true; window.dispatchEvent(new Event('focus'))")

    # A search result's excerpt: the text without its marks.
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_role("searchbox", name="Search for").fill("make test")
    await dialog.get_by_role("searchbox", name="Search for").press("Enter")
    hit = dialog.locator(".hit-body")
    await expect(hit).to_have_count(1)
    await expect(hit).to_have_text("@ada see make test and the docs\none\ntwo")
    await expect(hit.locator("mark")).to_have_text(["make", "test"])  # each word
    assert await dialog.locator(".hit-body strong, .hit-body a, .hit-body code").count() == 0
    await bob.close()
    await ada.close()
