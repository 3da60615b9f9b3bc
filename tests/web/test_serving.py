"""How the server serves the web client, and static checks of the client's files (no
browser needed)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import aiohttp

from chinwag.server.http import WEB_DIR
from tests.server.conftest import RunningServer

JS_FILES = sorted(WEB_DIR.rglob("*.js"))
VENDOR = WEB_DIR / "vendor"
#: The project's own modules (the vendored libraries are checked by their checksum).
OWN_JS = [p for p in JS_FILES if VENDOR not in p.parents]
#: Each vendored file, as its release published it (README.md beside it says where from).
VENDORED = {
    "markdown-it/markdown-it.min.js": (
        "38c70a1e7ca91ab40e2d9e6e60129851a717ed1c7d4acbbdd41bf9503791cf68"
    ),
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.assets: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if "style" in found:
            self.styles.append(tag)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        for name in ("src", "href"):
            value = found.get(name)
            if value and value.startswith("/assets/"):
                self.assets.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


async def test_index_and_assets_are_served_with_a_strict_policy(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.http("/")) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.headers["Cache-Control"] == "no-cache"
            csp = response.headers["Content-Security-Policy"]
            html = await response.text()
        policy = {}
        for part in csp.split(";"):
            name, _, value = part.strip().partition(" ")
            policy[name] = value
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        host = server.http("/").split("//")[1].rstrip("/")
        assert policy["connect-src"] == f"'self' ws://{host} wss://{host}"

        page = _Page()
        page.feed(html)
        assert not page.inline_script and not page.handlers and not page.styles
        assert all(s.get("src", "").startswith("/assets/") for s in page.scripts)
        sheets = {f"/assets/css/{path.name}" for path in (WEB_DIR / "css").glob("*.css")}
        assert len(sheets) > 1 and sheets <= set(page.assets)  # every style sheet is linked
        assert {"/assets/js/main.js", "/assets/theme.js"} <= set(page.assets)
        for asset in page.assets:
            async with session.get(server.http(asset)) as response:
                assert response.status == 200, asset
                assert response.headers["Cache-Control"] == "no-cache"
                if asset.endswith(".js"):
                    assert "javascript" in response.headers["Content-Type"]

        # Every module the page imports, and what they import, is there.
        for path in JS_FILES:
            for name in re.findall(r'from "\./([\w.]+)"', path.read_text()):
                url = "/assets/" + str((path.parent / name).relative_to(WEB_DIR))
                async with session.get(server.http(url)) as response:
                    assert response.status == 200, url


async def test_a_host_header_is_repeated_only_when_it_is_a_plain_host(
    server: RunningServer,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http("/"), headers={"Host": "evil.test; script-src *"}) as response,
    ):
        csp = response.headers["Content-Security-Policy"]
    assert "connect-src 'self';" in csp and "evil" not in csp


def test_the_client_never_parses_data_as_html() -> None:
    """Safe by construction: no HTML sinks and no eval anywhere in the client."""
    sinks = re.compile(
        r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\("
        r"|setAttribute\(\s*[\"'](?:on\w+|style|href|src)[\"']"
    )
    assert JS_FILES
    for path in JS_FILES:
        text = path.read_text()
        code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
        assert not sinks.search(code), f"{path.name}: {sinks.search(code)}"


def test_the_client_loads_nothing_from_elsewhere() -> None:
    for path in [*OWN_JS, WEB_DIR / "index.html", *(WEB_DIR / "css").glob("*.css")]:
        text = path.read_text()
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text), path
        assert "@import" not in text and "import(" not in text, path
    assert not list(Path(WEB_DIR).rglob("*.map"))


def test_vendored_libraries_are_their_releases_with_their_licences() -> None:
    found = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*.js")}
    assert found == set(VENDORED)
    for name, sha256 in VENDORED.items():
        path = VENDOR / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256, name
        assert (path.parent / "LICENSE").is_file() and (path.parent / "README.md").is_file()
