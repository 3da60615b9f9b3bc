"""Accounts and sessions through real WebSocket connections."""

from __future__ import annotations

import asyncio

from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, login, register


async def test_hello_tells_the_server_limits(server: RunningServer) -> None:
    client = await WsClient.connect(server.url)
    assert client.hello == {
        "type": "hello",
        "server": "chinwag",
        "version": client.hello["version"],
        "protocol": 1,
        "registration": True,
        "max_body": 4000,
        "max_frame": 65536,
    }
    await client.ok("ping")
    await client.close()


async def test_register_first_user_is_admin_and_names_are_unique(server: RunningServer) -> None:
    alice = await register(server.url, "Alice")
    bob = await register(server.url, "bob")
    try:
        assert alice.username == "Alice"
        users = {u["username"]: u for u in (await bob.ok("users"))["users"]}
        assert users["Alice"]["admin"] is True
        assert users["bob"]["admin"] is False
        assert users["Alice"]["online"] and users["bob"]["online"]
        probe = await WsClient.connect(server.url)
        await probe.error("register", "username_taken", username="ALICE", password="whatever12")
        await probe.error("register", "invalid", username="no spaces", password="whatever12")
        await probe.error("register", "invalid", username="x" * 33, password="whatever12")
        await probe.error("register", "invalid", username="carol", password="short")
        await probe.error("register", "invalid", username=".hidden", password="whatever12")
        await probe.close()
    finally:
        await alice.close()
        await bob.close()


async def test_login_case_insensitive_and_wrong_password(server: RunningServer) -> None:
    await (await register(server.url, "Alice")).close()
    client = await WsClient.connect(server.url)
    wrong = await client.error("login", "auth_failed", username="alice", password="nope-nope")
    missing = await client.error("login", "auth_failed", username="nobody", password="nope-nope")
    assert wrong["message"] == missing["message"] == "wrong username or password"
    reply = await client.ok("login", username="ALICE", password="correct horse")
    assert reply["user"]["username"] == "Alice"
    await client.error("login", "already_authenticated", username="alice", password="x" * 8)
    await client.close()


async def test_nothing_but_login_before_login(server: RunningServer) -> None:
    await (await register(server.url, "alice")).close()
    client = await WsClient.connect(server.url)
    for op, fields in [
        ("send", {"room": "general", "body": "hi", "client_msg_id": "x"}),
        ("rooms", {}),
        ("users", {}),
        ("history", {"room": "general"}),
        ("sync", {"since": {"general": 0}}),
        ("join", {"room": "general"}),
        ("kick", {"user": "alice"}),
        ("logout", {}),
    ]:
        await client.error(op, "not_authenticated", **fields)
    await client.ok("ping")
    # a failed login cannot post either
    await client.error("login", "auth_failed", username="alice", password="wrong-password")
    await client.error(
        "send", "not_authenticated", room="general", body="sneaky", client_msg_id="y"
    )
    await client.close()
    alice = await login(server.url, "alice")
    history = await alice.ok("history", room="general")
    assert [m["body"] for m in history["messages"]] == ["alice joined"]
    await alice.close()


async def test_failed_logins_are_throttled_per_account(start_server: StartServer) -> None:
    server = await start_server(login_free_attempts=2)
    alice = await register(server.url, "alice")
    attacker = await WsClient.connect(server.url)
    for _ in range(3):
        await attacker.error("login", "auth_failed", username="alice", password="guess-guess")
    throttled = await attacker.error(
        "login", "throttled", username="alice", password="correct horse"
    )
    assert throttled["retry_after"] > 0
    # the real user, already logged in, is not disturbed
    await alice.ok("send", room="general", body="still here", client_msg_id="m1")
    await alice.message("general", "still here")
    await attacker.close()
    await alice.close()


async def test_parallel_guesses_cannot_outrun_the_throttle(start_server: StartServer) -> None:
    """Thirty wrong passwords sent at once over thirty connections: checks go a couple
    at a time per address and account, so failures are counted before later guesses
    are let in; only the free ones and those already in the gate are checked."""
    server = await start_server(login_free_attempts=3, address_free_attempts=100)
    await (await register(server.url, "alice")).close()
    guessers = [await WsClient.connect(server.url) for _ in range(30)]
    try:
        replies = await asyncio.gather(
            *(
                g.request("login", username="alice", password=f"guess-{i:04d}")
                for i, g in enumerate(guessers)
            )
        )
    finally:
        for g in guessers:
            await g.close()
    codes = [r["code"] for r in replies]
    width = server.ctx.login_gates.width
    assert 4 <= codes.count("auth_failed") <= 3 + width, codes
    assert codes.count("throttled") == 30 - codes.count("auth_failed"), codes


async def test_people_logging_in_at_once_from_one_address_only_queue(
    start_server: StartServer,
) -> None:
    """A classroom behind one address: everyone logs in at the same moment, and nobody
    is told to wait (the address allows 3 failures, not 3 logins)."""
    server = await start_server(address_free_attempts=3)
    for i in range(20):
        await (await register(server.url, f"student{i}")).close()
    clients = [await WsClient.connect(server.url) for _ in range(20)]
    try:
        replies = await asyncio.gather(
            *(
                c.request("login", username=f"student{i}", password="correct horse")
                for i, c in enumerate(clients)
            )
        )
    finally:
        for c in clients:
            await c.close()
    assert [r["type"] for r in replies] == ["ok"] * 20


async def test_a_trusted_proxy_names_the_address_that_is_throttled(
    start_server: StartServer,
) -> None:
    server = await start_server(
        trusted_proxies="127.0.0.1", address_free_attempts=2, login_free_attempts=100
    )
    await (await register(server.url, "alice")).close()

    async def attempts(forwarded: str) -> list[str]:
        client = await WsClient.connect(server.url, headers={"X-Forwarded-For": forwarded})
        try:
            codes = []
            for i in range(4):
                reply = await client.request("login", username=f"nobody{i}", password="guess-it")
                codes.append(reply["code"])
            return codes
        finally:
            await client.close()

    # two free attempts, then a third failure starts the wait
    assert await attempts("198.51.100.7") == ["auth_failed"] * 3 + ["throttled"]
    # another address behind the same proxy is not held back by the first one's failures
    assert (await attempts("198.51.100.8"))[0] == "auth_failed"


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(start_server: StartServer) -> None:
    server = await start_server(address_free_attempts=2, login_free_attempts=100)
    for forwarded, first in (("198.51.100.7", "auth_failed"), ("198.51.100.8", "throttled")):
        client = await WsClient.connect(server.url, headers={"X-Forwarded-For": forwarded})
        replies = [
            await client.request("login", username=f"nobody{i}", password="guess-it")
            for i in range(3)
        ]
        assert replies[0]["code"] == first  # one address: 127.0.0.1, whatever the header says
        await client.close()


async def test_wrong_password_on_a_taken_name_does_not_disturb_its_owner(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    impostor = await WsClient.connect(server.url)
    await impostor.error("login", "auth_failed", username="alice", password="not-her-password")
    await impostor.error("register", "username_taken", username="alice", password="whatever12")
    await impostor.close()
    await alice.ok("send", room="general", body="fine", client_msg_id="a1")
    assert (await bob.message("general", "fine"))["sender"] == "alice"
    again = await login(server.url, "alice")  # and she can still log in
    await again.close()
    await alice.close()
    await bob.close()


async def test_same_user_on_two_connections(server: RunningServer) -> None:
    desktop = await register(server.url, "alice")
    browser = await login(server.url, "alice")
    bob = await register(server.url, "bob")
    await desktop.ok("send", room="general", body="from desktop", client_msg_id="d1")
    for client in (desktop, browser, bob):
        await client.message("general", "from desktop")
    await browser.close()
    await bob.ok("send", room="general", body="still there?", client_msg_id="b1")
    await desktop.message("general", "still there?")
    users = {u["username"]: u["online"] for u in (await bob.ok("users"))["users"]}
    assert users["alice"] is True
    await desktop.close()
    offline = await bob.event("presence", user="alice", online=False)
    assert offline["online"] is False
    users = {u["username"]: u["online"] for u in (await bob.ok("users"))["users"]}
    assert users["alice"] is False
    await bob.close()


async def test_resume_and_logout(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    token = alice.token
    await alice.close()
    again = await WsClient.connect(server.url)
    reply = await again.ok("resume", token=token)
    assert reply["user"]["username"] == "alice" and reply["token"] == token
    await again.ok("logout")
    await again.error("send", "not_authenticated", room="general", body="x", client_msg_id="1")
    await again.error("resume", "invalid_token", token=token)
    await again.error("resume", "invalid_token", token="made-up")
    await again.close()


async def test_closed_registration(start_server: StartServer) -> None:
    server = await start_server(registration=False)
    client = await WsClient.connect(server.url)
    assert client.events == []
    reply = await client.error("register", "registration_closed", username="a", password="b" * 8)
    assert "closed" in reply["message"]
    await client.close()


async def test_change_password_ends_other_sessions(server: RunningServer) -> None:
    laptop = await register(server.url, "alice")
    phone = await login(server.url, "alice")
    await laptop.error("change_password", "auth_failed", old="wrong-one", new="new password")
    await laptop.error("change_password", "invalid", old="correct horse", new="short")
    await laptop.ok("change_password", old="correct horse", new="new password")
    assert await phone.wait_closed() == 4005
    probe = await WsClient.connect(server.url)
    await probe.error("resume", "invalid_token", token=phone.token)
    await probe.error("login", "auth_failed", username="alice", password="correct horse")
    await probe.ok("login", username="alice", password="new password")
    await laptop.ok("ping")  # the connection that changed it stays
    for client in (probe, laptop, phone):
        await client.close()


async def test_update_profile_reaches_everyone(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    reply = await alice.ok("update_profile", display_name="  Alice  Liddell ", color="#A855F7")
    assert reply["user"]["display_name"] == "Alice Liddell"
    assert reply["user"]["color"] == "#a855f7"
    event = await bob.event("user_updated")
    assert event["user"]["username"] == "alice"
    assert event["user"]["display_name"] == "Alice Liddell"
    await alice.error("update_profile", "invalid", color="purple")
    await alice.error("update_profile", "invalid", display_name="   ")
    users = {u["username"]: u for u in (await bob.ok("users"))["users"]}
    assert users["alice"]["color"] == "#a855f7"
    await alice.close()
    await bob.close()


async def test_presence_events(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    await alice.event("presence", user="bob", online=True)
    await bob.close()
    await alice.event("presence", user="bob", online=False)
    await asyncio.sleep(0)
    await alice.close()
