"""The login window and the account line, in the real app (issue 10)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiohttp import web

from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

pytestmark = pytest.mark.display


@pytest.fixture
def web_page(loop_thread: LoopThread) -> Iterator[str]:
    """An HTTP server on loopback that is not chinwag: it answers every path with a page."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<h1>It works!</h1>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return f"127.0.0.1:{port}"

    address = loop_thread.run(start())
    yield address
    loop_thread.run(runner.cleanup())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_address_check_tells_a_web_page_from_nothing(make_app: MakeApp, web_page: str) -> None:
    app = make_app(web_page)
    view = app.login_view
    assert view is not None
    info = view.server_info
    pump_until(app.root, lambda: info.cget("text"), what="the address check")
    assert info.cget("text") == "This address answers, but it is not a chinwag server."
    view.server_var.set(f"127.0.0.1:{free_port()}")
    pump_until(app.root, lambda: info.cget("text").startswith("Not reachable"))


def test_an_old_login_error_goes_when_the_address_changes(
    make_app: MakeApp, chat_server: RestartableServer, web_page: str
) -> None:
    app = make_app(web_page)
    view = app.login_view
    assert view is not None
    view.username_var.set("ada")
    view.password_var.set("correct horse")
    view.login_button.invoke()
    pump_until(app.root, lambda: "not a chinwag server" in view.error.cget("text"))
    assert view.error.cget("text") == f"{web_page} answers, but is not a chinwag server."
    view.server_var.set(chat_server.address)
    assert view.error.cget("text") == ""


def test_the_account_line_shows_host_and_port_whole(
    make_app: MakeApp, chat_server: RestartableServer
) -> None:
    app = make_app(f"http://{chat_server.address}/")
    log_in(app, "a-rather-long-username", create=True)
    main = app.main
    assert main is not None
    line = main.me_sub
    assert line.cget("text") == f"@a-rather-long-username · {chat_server.address}"
    app.root.update()
    panel = line.master
    assert line.winfo_x() + line.winfo_reqwidth() <= panel.winfo_width()  # wrapped, not cut
