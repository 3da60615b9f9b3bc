"""`chinwag admin ...` against a real SQLite file, and the address listing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chinwag.cli import listen_addresses, main


def admin(tmp_path: Path, *args: str, password: str | None = None) -> int:
    return main(["admin", "--data-dir", str(tmp_path), *args])


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHINWAG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CHINWAG_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("CHINWAG_ARGON2_PARALLELISM", "1")
    monkeypatch.delenv("CHINWAG_CONFIG", raising=False)


def test_admin_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    assert admin(tmp_path, "create-user", "Root", "--admin", "--password-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert admin(tmp_path, "create-user", "bob", "--password-stdin") == 0
    assert "created Root (admin)" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("whatever-password\n"))
    assert admin(tmp_path, "create-user", "BOB", "--password-stdin") == 1
    assert "taken" in capsys.readouterr().err

    assert admin(tmp_path, "promote", "bob") == 0
    assert "bob is now a server admin" in capsys.readouterr().out
    assert admin(tmp_path, "promote", "bob", "--demote") == 0
    assert admin(tmp_path, "promote", "nobody") == 2
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO("brand-new-password\n"))
    assert admin(tmp_path, "reset-password", "bob", "--password-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert admin(tmp_path, "reset-password", "bob", "--password-stdin") == 1

    capsys.readouterr()
    assert admin(tmp_path, "list-users") == 0
    out = capsys.readouterr().out
    assert "Root" in out and "admin" in out and "bob" in out and "2 account(s)" in out


async def test_admin_created_user_can_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from tests.server.conftest import fast_config
    from tests.server.support import login

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    await asyncio.to_thread(admin, tmp_path, "create-user", "root", "--admin", "--password-stdin")
    from aiohttp.test_utils import TestServer

    from chinwag.server.app import create_app

    server = TestServer(create_app(fast_config(tmp_path, registration=False)), host="127.0.0.1")
    await server.start_server()
    try:
        client = await login(str(server.make_url("/ws")), "root", "s3cret-password")
        users = (await client.ok("users"))["users"]
        assert users[0]["admin"] is True
        history = (await client.ok("history", room="general"))["messages"]
        assert history[0]["body"] == "root joined"
        await client.close()
    finally:
        await server.close()


def test_listen_addresses() -> None:
    assert listen_addresses("127.0.0.1") == ["127.0.0.1"]
    every = listen_addresses("0.0.0.0")
    assert "127.0.0.1" in every
    assert every[-1] == "127.0.0.1"  # the LAN addresses first
    assert all(":" not in ip for ip in every)


def test_admin_create_user_refuses_a_name_someone_goes_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from chinwag.store.sql import open_store, sqlite_url

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    assert admin(tmp_path, "create-user", "alice", "--password-stdin") == 0

    async def rename() -> None:
        store = await open_store(sqlite_url(tmp_path / "chinwag.db"))
        try:
            await store.update_user("alice", display_name="Zed")
        finally:
            await store.close()

    asyncio.run(rename())
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert admin(tmp_path, "create-user", "ZED", "--password-stdin") == 1
    assert "taken" in capsys.readouterr().err
    assert admin(tmp_path, "list-users") == 0
    assert "1 account(s)" in capsys.readouterr().out


async def test_admin_lists_and_lifts_mutes_and_bans_of_a_running_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Moderators mute and ban on a running server; the command line lists what is in
    force, lifts it (the muted user is told, through the change stream), and refuses to
    lift what is not there, with a clear message and exit status 1."""
    import asyncio

    from aiohttp.test_utils import TestServer

    from chinwag.server.app import create_app
    from tests.server.conftest import fast_config
    from tests.server.support import login, register

    def shell(*args: str) -> tuple[int, str, str]:
        code = admin(tmp_path, *args)
        out, err = capsys.readouterr()
        return code, out, err

    server = TestServer(create_app(fast_config(tmp_path)), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("/ws"))
    clients = []
    try:
        root = await register(url, "root")
        bob = await register(url, "bob")
        eve = await register(url, "eve")
        clients += [root, bob, eve]
        await bob.ok("update_profile", display_name="Bob Smith")
        await root.ok("create_room", name="den")
        await bob.ok("join", room="den")
        await root.ok("mute", user="bob", seconds=600, reason="calm down", room="den")
        await root.ok("ban", user="eve", reason="spam")
        await bob.event("muted", room="den")

        code, out, _ = await asyncio.to_thread(shell, "list-mutes", "--room", "den")
        assert code == 0
        (row,) = [line for line in out.splitlines() if line.startswith("bob ")]
        assert "Bob Smith" in row and "root" in row and row.endswith("calm down")
        assert "UTC" in row and out.splitlines()[-1] == "1 mute(s) in room den"
        code, out, _ = await asyncio.to_thread(shell, "list-bans")
        assert code == 0 and "eve" in out and "spam" in out
        assert out.splitlines()[-1] == "1 ban(s) server-wide"
        code, out, _ = await asyncio.to_thread(shell, "list-mutes")
        assert (code, out.splitlines()[-1]) == (0, "0 mute(s) server-wide")

        code, out, _ = await asyncio.to_thread(shell, "unmute", "bob", "--room", "den")
        assert (code, out.strip()) == (0, "bob is no longer muted in room den")
        assert await bob.event("unmuted", room="den")  # told by the running server
        code, out, _ = await asyncio.to_thread(shell, "unban", "eve")
        assert (code, out.strip()) == (0, "eve is no longer banned on the server")
        await (await login(url, "eve")).close()  # may log in again

        for args, message in [
            (("unmute", "bob", "--room", "den"), "Bob Smith is not muted in this room"),
            (("unmute", "bob"), "Bob Smith is not muted on this server"),
            (("unban", "eve"), "eve is not banned on this server"),
            (("unban", "bob", "--room", "den"), "Bob Smith is not banned in this room"),
        ]:
            code, out, err = await asyncio.to_thread(shell, *args)
            assert (code, out, err.strip()) == (1, "", f"chinwag: {message}")
        code, _, err = await asyncio.to_thread(shell, "unban", "nobody")
        assert code == 2 and "no user" in err
        code, _, err = await asyncio.to_thread(shell, "list-mutes", "--room", "nowhere")
        assert code == 1 and "no room" in err
        # The lifts are told in the rooms, as from the command line.
        history = (await root.ok("history", room="den"))["messages"]
        assert history[-1]["body"] == "bob was unmuted by the server's operator"
    finally:
        for client in clients:
            await client.close()
        await server.close()
