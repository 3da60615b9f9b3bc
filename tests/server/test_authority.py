"""The database decides, on one node: bans that land during a login, sessions ended
elsewhere, the admin command line reaching a running server, idempotency per room, and
the node's cursor on the change stream surviving a restart."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from chinwag.cli import main
from chinwag.server.context import now_ms
from tests.server.conftest import StartServer
from tests.server.support import WsClient, login, register

#: The bound within which a node applies a change it heard of by no doorbell.
REPAIR_BOUND = 2.0


async def test_a_ban_that_lands_while_the_user_logs_in_sticks(start_server: StartServer) -> None:
    """The password check takes a while (real argon2id cost); the ban commits meanwhile.
    The login must not leave a session behind that can post."""
    server = await start_server(argon2_time_cost=6, argon2_memory_kib=32768)
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await bob.close()

    late = await WsClient.connect(server.url)
    logging_in = asyncio.create_task(
        late.request("login", username="bob", password="correct horse")
    )
    await asyncio.sleep(0.05)  # the login is in its password check
    await admin.ok("ban", user="bob", reason="spam")
    assert not logging_in.done(), "the ban must land during the login for this test"
    reply = await logging_in
    if reply["type"] == "error":
        assert reply["code"] == "banned", reply
    else:  # logged in just before the ban committed: then the ban closes it at once
        assert await late.wait_closed(timeout=REPAIR_BOUND) == 4002
    # either way, nothing of bob's gets in
    if not late.closed.is_set():
        await late.error("send", "not_authenticated", room="general", body="x", client_msg_id="1")
    history = await admin.ok("history", room="general", limit=50)
    assert all(m["sender"] != "bob" or m["kind"] == "system" for m in history["messages"])
    assert await server.ctx.store.session_user("x", now=now_ms(), max_idle=10**12) is None
    await late.close()
    await admin.close()


@pytest.mark.parametrize(
    ("op", "fields"),
    [
        ("send", {"room": "general", "body": "x", "client_msg_id": "1"}),
        ("create_room", {"name": "Mine"}),
        ("update_profile", {"display_name": "Eve"}),
        ("history", {"room": "general"}),
        ("sync", {"since": {"general": 0}}),
        ("users", {}),
        ("rooms", {}),
    ],
)
async def test_a_request_on_a_session_ended_elsewhere_is_refused(
    start_server: StartServer, op: str, fields: dict[str, object]
) -> None:
    """However late a node hears of it, the store refuses what a connection whose session
    ended (here: all sessions deleted straight in the database) asks for, reads as well
    as writes; the node then applies the change that ended it, so the connection closes
    with the code that says why (4005) rather than hearing a bare `invalid_token`."""
    server = await start_server(change_poll=60.0)  # the node itself will not hear soon
    ada = await register(server.url, "ada")
    await ada.ok("ping")
    await server.ctx.store.delete_sessions("ada")
    with pytest.raises(ConnectionError):
        await ada.request(op, **fields)
    assert await ada.wait_closed(timeout=REPAIR_BOUND) == 4005
    assert not [f for f in ada.events if f["type"] == "ok" and f.get("id")]
    store = server.ctx.store
    assert await store.get_room("mine") is None
    user = await store.get_user("ada")
    assert user is not None and user.display_name == "ada"
    assert not [m for m in await store.history_before("general", None, 50) if m.body == "x"]
    await ada.close()


async def test_the_admin_command_line_reaches_a_running_server(
    start_server: StartServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`chinwag admin` runs in another process with no bus: the change stream in the
    database is how the running server hears of it, within the bound."""
    server = await start_server()
    root = await register(server.url, "root")
    ada = await register(server.url, "ada")
    other = await login(server.url, "ada")

    def admin(*args: str) -> int:
        return main(["admin", "--data-dir", str(tmp_path), *args])

    assert await asyncio.to_thread(admin, "promote", "ada") == 0
    async with asyncio.timeout(REPAIR_BOUND):
        while not server.ctx.hub.records["ada"].admin:  # noqa: ASYNC110 - the node's view
            await asyncio.sleep(0.02)
    await ada.ok("notice", text="now an admin")

    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdin", io.StringIO("a new password\n"))
        assert await asyncio.to_thread(admin, "reset-password", "ada", "--password-stdin") == 0
    for client in (ada, other):
        assert await client.wait_closed(timeout=REPAIR_BOUND) == 4005
        await client.close()
    again = await login(server.url, "ada", "a new password")
    await again.close()
    await root.close()
    capsys.readouterr()


async def test_a_client_msg_id_reused_in_another_room_posts_there(
    start_server: StartServer,
) -> None:
    server = await start_server()
    ada = await register(server.url, "ada")
    room = (await ada.ok("create_room", name="Side"))["room"]["id"]
    first = (await ada.ok("send", room="general", body="one", client_msg_id="same"))["message"]
    there = (await ada.ok("send", room=room, body="two", client_msg_id="same"))["message"]
    assert (there["room"], there["body"]) == (room, "two")
    assert (first["room"], first["body"]) == ("general", "one")
    retry = (await ada.ok("send", room=room, body="two", client_msg_id="same"))["message"]
    assert retry == there
    assert [m["body"] for m in (await ada.ok("history", room=room))["messages"]][-1] == "two"
    await ada.close()


async def test_a_node_resumes_the_change_stream_from_its_cursor(
    start_server: StartServer, tmp_path: Path
) -> None:
    first = await start_server(node_id="n1")
    ada = await register(first.url, "ada")
    await ada.ok("create_room", name="Room one")
    await ada.close()
    cursor = first.ctx.feed.cursor
    assert cursor >= 2
    await first.close()  # saves the cursor
    assert await _saved_cursor(tmp_path, "n1") == cursor

    again = await start_server(node_id="n1")
    assert again.ctx.feed.cursor == cursor
    await again.close()


async def _saved_cursor(data_dir: Path, node: str) -> int | None:
    from chinwag.store.sql import open_store, sqlite_url

    store = await open_store(sqlite_url(data_dir / "chinwag.db"))
    try:
        return await store.load_cursor(node)
    finally:
        await store.close()


async def test_a_node_whose_missed_changes_were_pruned_reloads_its_connections(
    start_server: StartServer,
) -> None:
    """A node so far behind that the entries it missed are gone (pruned) sees the gap and
    re-reads the state of every connection: an ended session closes all the same."""
    server = await start_server(change_poll=60.0)  # the node will not poll by itself
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    store = server.ctx.store
    await store.delete_sessions("ada")  # ended, but this node hears nothing
    await store.add_member("general", "bob", role="member", now=now_ms())  # already: nothing
    await store.update_user("bob", display_name="Bobby")
    await store.prune_stream(older_than=now_ms() + 10_000, live_since=now_ms() + 10_000)
    await server.ctx.feed.catch_up()
    assert await ada.wait_closed(timeout=REPAIR_BOUND) == 4005
    assert server.ctx.hub.records["bob"].display_name == "Bobby"
    await bob.ok("send", room="general", body="still here", client_msg_id="1")
    await ada.close()
    await bob.close()
