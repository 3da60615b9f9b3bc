"""A community moves from SQLite to PostgreSQL with `chinwag admin export` and
`chinwag admin import`: the same archive out of both, the same timelines from servers on
both, the same passwords and files."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chinwag.bench.seed import Plan, seed
from chinwag.server.app import create_app
from tests.conftest import fresh_postgres_database
from tests.files.support import download, png, sha, upload
from tests.server.conftest import GuardedTestServer, RunningServer, fast_config
from tests.server.support import WsClient, login, register
from tests.test_cli_data import BACKENDS, admin, cheap_hashing, database, sending, serving, url_of

__all__ = ["cheap_hashing"]

PASSWORD = "correct horse"


@contextlib.asynccontextmanager
async def running(data_dir: Path, **overrides: Any) -> AsyncIterator[RunningServer]:
    app = create_app(fast_config(data_dir, **overrides))
    server = GuardedTestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield RunningServer(server, app)
    finally:
        await server.close()


async def community(server: RunningServer) -> dict[str, Any]:
    """Varied data, made as people make it: rooms of each kind, edits, deletions, files,
    mutes and bans, read markers. The ids of what it made."""
    alice = await register(server.url, "alice")  # the first account: an admin
    bob = await register(server.url, "Bob")
    carol = await register(server.url, "carol")
    dave = await register(server.url, "dave")
    await bob.ok("update_profile", display_name="Bobby Tables")
    project = (await alice.ok("create_room", name="Project talk", topic="the plan"))["room"]["id"]
    secret = (await alice.ok("create_room", name="secret", private=True))["room"]["id"]
    for who in (bob, carol, dave):
        await who.ok("join", room=project)
    await alice.ok("invite", room=secret, user="bob")
    dm = (await alice.ok("open_dm", user="bob"))["room"]["id"]
    sent = {}
    for n, (who, room) in enumerate(
        [(alice, project), (bob, project), (carol, project), (alice, secret), (bob, dm)] * 3
    ):
        reply = await who.ok("send", room=room, body=f"message {n} ✓ 😀", client_msg_id=f"m{n}")
        sent[n] = reply["message"]["seq"]
    await bob.ok("edit_message", room=project, seq=sent[1], body="edited, with **bold**")
    # Replies, a thread (one reply also in the room), reactions, a pin, @room.
    root = sent[0]
    await bob.ok("send", room=project, body="a reply", client_msg_id="r1", reply_to=root)
    first = await carol.ok("send", room=project, body="threaded", client_msg_id="t1", thread=root)
    await alice.ok(
        "send", room=project, body="@room see this", client_msg_id="t2", thread=root, in_room=True
    )
    for who, emoji in ((bob, "👍"), (carol, "👍"), (alice, "🎉")):
        await who.ok("react", room=project, seq=root, emoji=emoji)
    await alice.ok("pin", room=project, seq=root)
    await bob.ok("mark_read", room=project, seq=first["message"]["seq"], thread=root)
    await carol.ok("delete_message", room=project, seq=sent[2])
    _, picture = await upload(server, alice.token, png(), "cat.png")
    _, notes = await upload(server, bob.token, b"just some notes\n" * 100, "notes.txt")
    _, gone = await upload(server, alice.token, b"regretted", "oops.bin")
    await alice.ok(
        "send", room=secret, body="a cat", client_msg_id="f1", attachments=[picture["id"]]
    )
    await bob.ok("send", room=dm, body="", client_msg_id="f2", attachments=[notes["id"]])
    oops = await alice.ok(
        "send", room=project, body="x", client_msg_id="f3", attachments=[gone["id"]]
    )
    await alice.ok("delete_message", room=project, seq=oops["message"]["seq"])
    await alice.ok("mute", user="carol", seconds=3600, reason="cool off", room=project)
    await alice.ok("mute", user="carol", seconds=7200, reason="everywhere")
    await carol.ok("leave", room=project)  # her room mute waits for her return
    await alice.ok("ban", user="dave", room=project, reason="spam")
    await bob.ok("mark_read", room=project, seq=sent[1])
    for client in (alice, bob, carol, dave):
        await client.close()
    made = {"rooms": [project, secret, dm, "general"], "picture": picture, "notes": notes}
    return {**made, "root": root}


async def timeline(client: WsClient, room: str) -> list[dict[str, Any]]:
    """The room's whole history, oldest first, a page at a time."""
    found: list[dict[str, Any]] = []
    before = None
    while True:
        page = await client.ok(
            "history", room=room, limit=7, **({"before": before} if before else {})
        )
        found = page["messages"] + found
        if not page["more"]:
            return found
        before = page["messages"][0]["seq"]


async def what_people_see(server: RunningServer, made: dict[str, Any]) -> dict[str, Any]:
    """Each room's timeline and sync (with its change numbers) as a member sees them,
    and the bytes of the files."""
    seen: dict[str, Any] = {}
    alice = await login(server.url, "alice", PASSWORD)
    bob = await login(server.url, "Bob", PASSWORD)
    try:
        for room in made["rooms"]:
            seen[room] = await timeline(bob, room)
            synced = await bob.ok("sync", since={room: 0}, changes={room: 0})
            seen[f"sync {room}"] = {k: synced[k] for k in ("messages", "changed", "changes")}
            seen[f"pins {room}"] = (await bob.ok("pins", room=room))["messages"]
            seen[f"threads {room}"] = await bob.ok("threads", room=room)
        for room in (made["rooms"][0], None):
            listed = await alice.ok("moderation", room=room)
            seen[f"moderation {room}"] = {k: listed[k] for k in ("mutes", "bans")}
        seen["rooms"] = await bob.ok("rooms")  # with the read markers
        seen["users"] = await alice.ok("users")
        for file in (made["picture"], made["notes"]):
            status, body, _ = await download(server, bob.token, file["id"])
            assert status == 200
            seen[file["id"]] = sha(body)
    finally:
        await alice.close()
        await bob.close()
    return seen


def archive_lines(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["type"] == "header"
    del records[0]["created_ts"]
    return records


@pytest.mark.postgres
async def test_a_community_moves_from_sqlite_to_postgres(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    async with running(old) as server:
        made = await community(server)
        before = await what_people_see(server, made)
        # Exported while the server runs.
        code = await admin(
            "--data-dir", str(old), "export", str(first), "--with-password-hashes",
            "--with-files", str(tmp_path / "files-out"),
        )  # fmt: skip
        assert code == 0
    async with fresh_postgres_database() as url:
        into = ["--data-dir", str(new), "--database-url", url]
        assert await admin(*into, "import", str(first), "--files", str(tmp_path / "files-out")) == 0
        # Once is all: a second import finds the community there.
        assert await admin(*into, "import", str(first)) == 1
        code = await admin(
            *into, "export", str(second), "--with-password-hashes",
            "--with-files", str(tmp_path / "files-again"),
        )  # fmt: skip
        assert code == 0
        exported = archive_lines(first)
        assert archive_lines(second) == exported
        kinds = {r["type"] for r in exported}
        assert kinds >= {"user", "room", "member", "room_ban", "room_mute", "blob", "file"}
        assert kinds >= {"message", "thread_read"}
        async with running(new, database_url=url) as moved:
            after = await what_people_see(moved, made)
    for key, value in before.items():
        assert after[key] == value, key
    assert before == after


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_export_while_people_send_is_the_community_at_one_moment(
    backend: str, tmp_path: Path
) -> None:
    archive = tmp_path / "a.jsonl"
    async with database(backend, tmp_path) as options:
        url = url_of(options)
        # Long enough that sends land while it is read.
        await seed(url, Plan(users=20, password_hash="x", general_messages=40_000))
        overrides = {"database_url": url} if "--database-url" in options else {}
        async with serving(tmp_path / "data", **overrides) as server, sending(server) as sender:
            before = list(sender.acked)
            assert await admin(*options, "export", str(archive)) == 0
            during = len(sender.acked) - len(before)
    print(f"sends acknowledged while the export ran: {during}")
    assert during > 0
    records = [json.loads(line) for line in archive.read_text().splitlines()]
    general = next(r for r in records if r["type"] == "room" and r["id"] == "general")
    held = {
        r["seq"]: r["body"] for r in records if r["type"] == "message" and r["room"] == "general"
    }
    # The room's last_seq (read first) and its messages (read last) agree: one moment.
    assert sorted(held) == list(range(1, general["last_seq"] + 1))
    assert all(held.get(seq) == body for seq, body in before)
    # And it imports (which checks exactly that, and every count).
    assert await admin("--data-dir", str(tmp_path / "copy"), "import", str(archive)) == 0
