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
