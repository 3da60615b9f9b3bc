"""The client library against a real server on loopback."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from chinwag.client import Client, ConnectionLost, RequestError
from chinwag.client.events import (
    LoggedIn,
    MessagesLoaded,
    RoomsLoaded,
    SendAcked,
    SendFailed,
    Status,
    StatusChanged,
)
from chinwag.protocol.events import (
    Kicked,
    MessageDeleted,
    MessageEdited,
    RoomUpdated,
    TypingEvent,
)
from chinwag.protocol.types import Message
from chinwag.server.app import create_app
from tests.client.conftest import Recorder, RestartableServer
from tests.conftest import unavailable
from tests.server.conftest import RunningServer, StartServer, fast_config
from tests.server.support import login, register

Make = Callable[..., Any]
PASSWORD = "correct horse"


def assert_gap_free(messages: list[Message]) -> None:
    seqs = [m.seq for m in messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


async def test_login_send_and_receive(server: RunningServer, clients: Make) -> None:
    ada, ada_events = await clients(server.url)
    hello = await ada.connect()
    assert hello.protocol == 1 and hello.registration is True
    auth = await ada.register("ada", PASSWORD)
    assert auth.user.username == "ada" and auth.user.admin
    assert ada.status == Status.CONNECTED
    bob, bob_events = await clients(server.url)
    await bob.register("bob", PASSWORD)
    assert any(isinstance(e, RoomsLoaded) for e in bob_events.events)
    assert any(isinstance(e, LoggedIn) for e in bob_events.events)

    sent = await ada.send("general", "  hello bob  ")
    assert sent.body == "hello bob" and sent.sender == "ada"
    got = await bob_events.wait_message("general", "hello bob")
    assert got.seq == sent.seq
    await ada_events.wait_for(lambda e: isinstance(e, SendAcked) and e.message.seq == sent.seq)
    # Ada's own message was passed on once, though it came as an event and as a reply.
    assert [m.seq for m in ada_events.messages("general")].count(sent.seq) == 1
    assert_gap_free(ada_events.messages("general"))

    await ada.typing("general")
    typing = await bob_events.wait_for(lambda e: isinstance(e, TypingEvent))
    assert isinstance(typing, TypingEvent) and typing.user == "ada"


async def test_login_errors_are_typed(server: RunningServer, clients: Make) -> None:
    ada, _ = await clients(server.url)
    await ada.register("ada", PASSWORD)
    other, _ = await clients(server.url)
    with pytest.raises(RequestError) as taken:
        await other.register("ADA", PASSWORD)
    assert taken.value.code == "username_taken"
    with pytest.raises(RequestError) as wrong:
        await other.login("ada", "wrong password")
    assert wrong.value.code == "auth_failed"
    assert other.status == Status.DISCONNECTED
    # The same client may try again on the same connection.
    await other.login("ada", PASSWORD)
    assert other.status == Status.CONNECTED


async def test_closed_registration_is_told_in_hello(
    start_server: StartServer, clients: Make
) -> None:
    server = await start_server(registration=False)
    client, _ = await clients(server.url)
    hello = await client.connect()
    assert hello.registration is False
    with pytest.raises(RequestError) as closed:
        await client.register("ada", PASSWORD)
    assert closed.value.code == "registration_closed"


async def test_wss_to_a_plain_server_says_so(server: RunningServer, clients: Make) -> None:
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    client, _ = await clients(f"wss://127.0.0.1:{port}")
    with pytest.raises(ConnectionLost, match="TLS handshake failed"):
        await client.connect()


async def test_unreachable_server_is_a_clear_error(clients: Make) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client, _ = await clients(f"127.0.0.1:{port}")
    with pytest.raises(ConnectionLost, match="refused"):
        await client.login("ada", PASSWORD)


async def second_attempt(events: Recorder) -> None:
    """After a graceful stop, the first attempt comes when `restarting` said (within
    1 s) and finds the server still down: wait for it, so that the next attempt waits
    the client's back-off (long in these tests, cut short by reconnect_now())."""
    await events.wait_for(
        lambda e: (
            isinstance(e, StatusChanged) and e.status == Status.RECONNECTING and e.attempt == 1
        )
    )


async def test_reconnects_after_restart_fills_the_gap_and_sends_the_outbox(
    restartable: RestartableServer, clients: Make
) -> None:
    # A long back-off, cut short by reconnect_now() once the others have written.
    ada, events = await clients(
        restartable.address,
        backoff_base=60.0,
        backoff_cap=60.0,
        backoff_early_cap=60.0,
        rng=lambda: 1.0,
    )
    await ada.register("ada", PASSWORD)
    bob = await register(restartable.url, "bob")
    for i in range(3):
        await bob.ok("send", room="general", body=f"before {i}", client_msg_id=f"b{i}")
    await events.wait_message("general", "before 2")
    await bob.close()

    await restartable.stop()
    await second_attempt(events)
    cmid = ada.queue_send("general", "written while offline")
    await restartable.start()
    bob = await login(restartable.url, "bob")
    for i in range(3):
        await bob.ok("send", room="general", body=f"while away {i}", client_msg_id=f"w{i}")
    ada.reconnect_now()
    await events.wait_status(Status.CONNECTED)
    await events.wait_message("general", "while away 2")
    acked = await events.wait_for(lambda e: isinstance(e, SendAcked) and e.client_msg_id == cmid)
    assert isinstance(acked, SendAcked)

    history = await bob.ok("history", room="general", limit=200)
    bodies = [m["body"] for m in history["messages"]]
    assert bodies.count("written while offline") == 1
    seen = events.messages("general")
    assert_gap_free(seen)
    assert [m.seq for m in seen] == [m["seq"] for m in history["messages"]][-len(seen) :]
    await bob.close()


async def test_a_lost_reply_is_resent_and_stored_once(
    restartable: RestartableServer, clients: Make
) -> None:
    class LosesFirstSendReply(Client):
        lost = False

        def _on_frame(self, data: str) -> None:
            if not self.lost and '"type":"ok"' in data and '"client_msg_id":"once"' in data:
                self.lost = True
                ws = self._ws
                assert ws is not None
                from chinwag.client.connection import _abort

                _abort(ws)  # the reply never arrives: the connection dies first
                return
            super()._on_frame(data)

    ada = LosesFirstSendReply(restartable.address, backoff_base=0.05, heartbeat=None)
    events = Recorder(ada)
    try:
        await ada.register("ada", PASSWORD)
        message = await asyncio.wait_for(ada.send("general", "only once", "once"), 10)
        assert ada.lost
        await events.wait_status(Status.RECONNECTING)
        reply = await ada.history("general")
        assert [m.body for m in reply.messages].count("only once") == 1
        assert message.seq == next(m.seq for m in reply.messages if m.body == "only once")
        assert_gap_free(events.messages("general"))
    finally:
        await ada.close()


async def test_a_skipped_seq_is_fetched_in_order(server: RunningServer, clients: Make) -> None:
    class DropsOne(Client):
        dropped = False

        def _on_frame(self, data: str) -> None:
            if not self.dropped and '"body":"two"' in data and '"type":"message"' in data:
                self.dropped = True  # as if the event had been lost on the way
                return
            super()._on_frame(data)

    await (await register(server.url, "ada")).close()
    bob_client = DropsOne(server.url, heartbeat=None)
    events = Recorder(bob_client)
    try:
        await bob_client.register("bob", PASSWORD)
        ada = await login(server.url, "ada")
        for i, body in enumerate(["one", "two", "three"]):
            await ada.ok("send", room="general", body=body, client_msg_id=f"a{i}")
        await events.wait_message("general", "three")
        assert bob_client.dropped
        bodies = [m.body for m in events.messages("general")]
        assert bodies[-3:] == ["one", "two", "three"]
        assert_gap_free(events.messages("general"))
        await ada.close()
    finally:
        await bob_client.close()


async def test_sync_repeats_while_more(restartable: RestartableServer, clients: Make) -> None:
    ada, events = await clients(
        restartable.address,
        sync_limit=4,
        backoff_base=60.0,
        backoff_cap=60.0,
        backoff_early_cap=60.0,
        rng=lambda: 1.0,
    )
    await ada.register("ada", PASSWORD)
    await restartable.stop()
    await second_attempt(events)
    await restartable.start()
    bob = await register(restartable.url, "bob")
    for i in range(11):
        await bob.ok("send", room="general", body=f"m{i}", client_msg_id=f"m{i}")
    ada.reconnect_now()
    await events.wait_message("general", "m10", timeout=15)
    syncs = [e for e in events.events if isinstance(e, MessagesLoaded) and e.source == "sync"]
    assert len(syncs) >= 3  # 12 new messages (bob joined + 11) in pages of 4
    assert_gap_free(events.messages("general"))
    await bob.close()


async def test_edits_and_deletions_made_while_offline_arrive_with_the_sync(
    restartable: RestartableServer, clients: Make
) -> None:
    ada, events = await clients(
        restartable.address,
        backoff_base=60.0,
        backoff_cap=60.0,
        backoff_early_cap=60.0,
        rng=lambda: 1.0,
    )
    await ada.register("ada", PASSWORD)
    bob = await register(restartable.url, "bob")
    sent = [
        (await bob.ok("send", room="general", body=f"m{i}", client_msg_id=f"m{i}"))["message"]
        for i in range(3)
    ]
    await events.wait_message("general", "m2")
    await bob.close()
    await restartable.stop()
    await second_attempt(events)
    await restartable.start()
    bob = await login(restartable.url, "bob")
    await bob.ok("delete_message", room="general", seq=sent[1]["seq"])
    await bob.ok("edit_message", room="general", seq=sent[2]["seq"], body="m2, edited")
    ada.reconnect_now()
    await events.wait_status(Status.CONNECTED)
    deleted = await events.wait_for(lambda e: isinstance(e, MessageDeleted))
    assert deleted == MessageDeleted(room="general", seq=sent[1]["seq"])
    edited = await events.wait_for(lambda e: isinstance(e, MessageEdited))
    assert isinstance(edited, MessageEdited) and edited.message.body == "m2, edited"
    # Reconnecting again replays nothing: the client is up to date with the changes.
    count = len(events.events)

    def status_after(status: Status) -> Callable[[object], bool]:
        return lambda e: (
            isinstance(e, StatusChanged) and e.status == status and e in events.events[count:]
        )

    await restartable.stop()
    await events.wait_for(status_after(Status.RECONNECTING))
    await restartable.start()
    ada.reconnect_now()
    await events.wait_for(status_after(Status.CONNECTED))
    await events.wait_for(lambda e: isinstance(e, RoomsLoaded) and e in events.events[count:])
    await ada.ping()
    assert not [e for e in events.events[count:] if isinstance(e, MessageDeleted | MessageEdited)]
    await bob.close()


async def test_history_pages_back(server: RunningServer, clients: Make) -> None:
    ada = await register(server.url, "ada")
    for i in range(70):
        await ada.ok("send", room="general", body=f"m{i}", client_msg_id=f"m{i}")
    await ada.close()
    client, events = await clients(server.url, history_page=30)
    await client.login("ada", PASSWORD)
    initial = await events.wait_for(
        lambda e: isinstance(e, MessagesLoaded) and e.source == "initial"
    )
    assert isinstance(initial, MessagesLoaded)
    assert len(initial.messages) == 30 and initial.more_before
    assert initial.messages[-1].body == "m69"
    older = await client.history("general", before=initial.messages[0].seq, limit=200)
    assert not older.more and older.messages[-1].seq == initial.messages[0].seq - 1


async def test_kick_ban_and_revoke_stop_reconnecting(server: RunningServer, clients: Make) -> None:
    admin, _ = await clients(server.url)
    await admin.register("ada", PASSWORD)
    results: dict[str, StatusChanged] = {}
    for name, action in [("bob", "kick"), ("cy", "ban"), ("dee", "revoke")]:
        victim, events = await clients(server.url)
        await victim.register(name, PASSWORD)
        if action == "kick":
            await admin.kick(name, reason="cool off")
            kicked = await events.wait_for(lambda e: isinstance(e, Kicked))
            assert isinstance(kicked, Kicked) and kicked.reason == "cool off"
        elif action == "ban":
            await admin.ban(name, reason="spam")
        else:
            other, _ = await clients(server.url)
            await other.login(name, PASSWORD)
            await other.change_password(PASSWORD, "battery staple")
        expected = {"kick": Status.KICKED, "ban": Status.BANNED, "revoke": Status.REVOKED}
        results[name] = await events.wait_status(expected[action])
        await asyncio.sleep(0.3)
        later = [e for e in events.events if isinstance(e, StatusChanged)]
        assert later[-1].status == expected[action], later  # and no reconnect after it
        assert victim.token is None
    assert results["bob"].code == 4001
    assert results["bob"].reason == "ada disconnected you from the server: cool off."
    assert results["cy"].code == 4002
    assert results["cy"].reason == "ada banned you from this server: spam."
    assert results["dee"].code == 4005
    assert "password was changed" in results["dee"].reason


async def test_resume_in_background_and_a_dead_token(server: RunningServer, clients: Make) -> None:
    first, _ = await clients(server.url)
    token = (await first.register("ada", PASSWORD)).token
    again, events = await clients(server.url)
    again.start_resume(token)
    await events.wait_status(Status.CONNECTED)
    assert again.user is not None and again.user.username == "ada"
    await again.logout()
    assert again.status == Status.SIGNED_OUT
    stale, stale_events = await clients(server.url)
    stale.start_resume(token)
    ended = await stale_events.wait_status(Status.SIGNED_OUT)
    assert "log in again" in ended.reason


async def test_refused_send_is_reported(server: RunningServer, clients: Make) -> None:
    ada, events = await clients(server.url)
    await ada.register("ada", PASSWORD)
    cmid = ada.queue_send("general", "   ")
    failed = await events.wait_for(lambda e: isinstance(e, SendFailed))
    assert isinstance(failed, SendFailed)
    assert failed.client_msg_id == cmid and failed.code == "invalid"
    assert ada.outbox == []


async def test_rooms_and_dms_appear_and_are_followed(server: RunningServer, clients: Make) -> None:
    ada, ada_events = await clients(server.url)
    await ada.register("ada", PASSWORD)
    bob, bob_events = await clients(server.url)
    await bob.register("bob", PASSWORD)
    room = await ada.create_room("LAN Party", topic="Saturday")
    assert room.id == "lan-party"
    await bob.join("lan-party")
    await ada.send("lan-party", "welcome")
    await bob_events.wait_message("lan-party", "welcome")
    dm = await bob.open_dm("ada")
    assert dm.kind == "dm"
    await ada_events.wait_for(lambda e: isinstance(e, RoomUpdated) and e.room.id == dm.id)
    await bob.send(dm.id, "psst")
    await ada_events.wait_message(dm.id, "psst")
    members = await ada.members("lan-party")
    assert [m.user for m in members] == ["ada", "bob"]
    assert_gap_free(ada_events.messages("lan-party"))


async def test_wss_with_a_trusted_an_untrusted_and_an_accepted_certificate(
    tmp_path: Path, clients: Make
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = await asyncio.create_subprocess_exec(
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await made.wait() == 0
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = TestServer(create_app(fast_config(tmp_path)), host="127.0.0.1", port=0)
    await server.start_server(ssl=context)
    try:
        address = f"wss://127.0.0.1:{server.port}"
        trusted, _ = await clients(address, ssl=ssl.create_default_context(cafile=str(cert)))
        await trusted.register("ada", PASSWORD)
        assert (await trusted.send("general", "over TLS")).body == "over TLS"
        untrusted, _ = await clients(address)
        with pytest.raises(ConnectionLost, match="certificate is not trusted"):
            await untrusted.connect()
        insecure, _ = await clients(address, ssl=False)  # `chinwag desktop --insecure`
        assert (await insecure.connect()).protocol == 1
        plain, _ = await clients(f"ws://127.0.0.1:{server.port}")  # forgot wss://
        with pytest.raises(ConnectionLost):
            await plain.connect()
    finally:
        await server.close()


async def test_search(server: RunningServer, clients: Make) -> None:
    ada, _ = await clients(server.url)
    await ada.register("ada", PASSWORD)
    await ada.send("general", "where is the Projector?")
    await ada.send("general", "never mind")
    found = await ada.search("projector")
    assert [m.body for m in found.messages] == ["where is the Projector?"] and not found.more
    with pytest.raises(RequestError) as refused:
        await ada.search("x")
    assert refused.value.code == "invalid"
