"""The authorization matrix (matrix.py) through a real server: every request type, as
every kind of user, on a public and a private room, allowed or refused with the code the
rules say; and refusals reveal nothing: a private room one is not in answers exactly as
a room that does not exist, and no error message names a private room one is not in.

Each request type gets a world of its own (a server, its users, rooms and sanctions),
so that what one actor is allowed to do changes nothing for the next. The server-banned
actor's connection is on a second node that shares the database but has not heard of
the ban: what it may do is decided by the database alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.reliability.conftest import Record
from tests.reliability.matrix import ACTORS, OK, OPS, Expect, Op, Seat
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, register

pytestmark = pytest.mark.reliability

PASSWORD = "correct horse"
GHOST = "no-such-room"
ROOMS = {  # id: (name, private, owner)
    "plaza": ("Plaza", False, "owner"),
    "secret-lair": ("Secret Lair", True, "owner"),
    "held-hall": ("Held Hall", False, "ownerbanned"),
    "held-vault": ("Held Vault", True, "ownerbanned"),
    "quiet-corner": ("Quiet Corner", False, "ownermuted"),
    "quiet-vault": ("Quiet Vault", True, "ownermuted"),
}
#: The (public, private) rooms each actor acts on.
SEATS = {a: ("plaza", "secret-lair") for a in ACTORS} | {
    "ownerbanned": ("held-hall", "held-vault"),
    "ownermuted": ("quiet-corner", "quiet-vault"),
}
#: Actors who are members of their rooms when the matrix runs.
MEMBERS = {"member", "muted", "owner", "srvmuted", "srvbanned", "ownermuted"}
#: Rooms beyond their own that actors are in: an admin had to be in a private room to
#: ban its owner from it.
ALSO_IN = {"admin": ("held-hall", "held-vault")}
#: Actors who posted a message of their own in their rooms (before any sanction).
POSTED = MEMBERS | {"roombanned", "ownerbanned"}


@dataclasses.dataclass
class World:
    a: RunningServer
    b: RunningServer
    actors: dict[str, WsClient]
    own_seq: dict[tuple[str, str], int]
    other_seq: dict[tuple[str, str], int]
    helpers: list[WsClient]
    #: The rooms' ids as the server gave them (a private room's is random), by the names
    #: this module knows them by.
    ids: dict[str, str] = dataclasses.field(default_factory=dict)

    def seat(self, actor: str, room: str) -> Seat:
        return Seat(
            actor=actor,
            username=None if actor == "anonymous" else actor,
            room=self.ids.get(room, room),
            own_seq=self.own_seq.get((actor, room)),
            other_seq=self.other_seq.get((actor, room), 1),
            victim=f"v-{actor}",
            invitee=f"i-{actor}",
        )

    def sees(self, actor: str, room: str) -> bool:
        """Whether `actor` may know of `room` (public, or a member of it)."""
        member = actor in MEMBERS and room in SEATS[actor]
        return not ROOMS[room][1] or member or room in ALSO_IN.get(actor, ())

    async def stale_banned(self) -> WsClient:
        """The server-banned actor's connection on node b, which has not heard of the ban.
        A refusal makes node b apply the ban and close it; then the actor is let back in,
        logs in on node b again and is banned anew on node a, for the next row."""
        client = self.actors["srvbanned"]
        if client.closed.is_set():
            await client.close()
            admin = self.actors["admin"]
            await admin.ok("unban", user="srvbanned")
            client = self.actors["srvbanned"] = await WsClient.connect(self.b.url)
            await client.ok("login", username="srvbanned", password=PASSWORD)
            await admin.ok("ban", user="srvbanned", reason="spam")
        return client

    async def close(self) -> None:
        for client in [*self.actors.values(), *self.helpers]:
            await client.close()


async def _user(url: str, name: str, world_helpers: list[WsClient]) -> WsClient:
    client = await register(url, name, PASSWORD)
    world_helpers.append(client)
    return client


async def build(start_server: StartServer) -> World:
    a = await start_server()
    # A second node on the same database that hears nothing of the first: no shared
    # bus, and it reads the change stream only every minute.
    b = await start_server(change_poll=60.0)
    helpers: list[WsClient] = []
    users: dict[str, WsClient] = {}
    for name in ["admin", "owner", "ownerbanned", "ownermuted", "poster", *ACTORS]:
        if name not in users and name != "anonymous":
            users[name] = await _user(a.url, name, helpers)
    assert (await users["admin"].ok("users"))["users"][0]["admin"]
    ids: dict[str, str] = {}
    for room, (name, private, owner) in ROOMS.items():
        made = await users[owner].ok("create_room", name=name, private=private)
        ids[room] = made["room"]["id"]
        assert private or ids[room] == room

    async def enter(who: WsClient, room: str) -> None:
        _, private, owner = ROOMS[room]
        if private:
            await users[owner].ok("invite", room=ids[room], user=who.username)
        else:
            await who.ok("join", room=ids[room])

    own_seq: dict[tuple[str, str], int] = {}
    other_seq: dict[tuple[str, str], int] = {}
    for room in ROOMS:
        if ROOMS[room][2] != "poster":
            await enter(users["poster"], room)
    for actor in ACTORS:
        for room in SEATS[actor]:
            owner = ROOMS[room][2]
            if actor in POSTED and actor != owner:
                await enter(users[actor], room)
            if actor in POSTED:
                sent = await users[actor].ok(
                    "send", room=ids[room], body=f"own of {actor}", client_msg_id=f"own-{room}"
                )
                own_seq[actor, room] = sent["message"]["seq"]
            sent = await users["poster"].ok(
                "send",
                room=ids[room],
                body=f"posted for {actor}",
                client_msg_id=f"{actor}-{room}",
            )
            other_seq[actor, room] = sent["message"]["seq"]
        victim = await register(a.url, f"v-{actor}", PASSWORD)
        for room in SEATS[actor]:
            await enter(victim, room)
        await victim.close()
        await (await register(a.url, f"i-{actor}", PASSWORD)).close()

    owner, admin = users["owner"], users["admin"]
    for room in SEATS["muted"]:
        await owner.ok("mute", user="muted", room=ids[room], seconds=3600)
    for room in SEATS["roombanned"]:
        await owner.ok("ban", user="roombanned", room=ids[room])
    for room in SEATS["ownerbanned"]:
        await enter(admin, room)  # an admin sees a private room only from inside
        await admin.ok("ban", user="ownerbanned", room=ids[room])
    for who in ("srvmuted", "ownermuted"):
        await admin.ok("mute", user=who, seconds=3600)
    stale = await WsClient.connect(b.url)
    await stale.ok("login", username="srvbanned", password=PASSWORD)
    await admin.ok("ban", user="srvbanned", reason="spam")

    actors = {name: users[name] for name in ACTORS if name not in ("anonymous", "srvbanned")}
    actors["srvbanned"] = stale
    actors["anonymous"] = await WsClient.connect(a.url)
    # Only the actors' connections stay open (fewer than a per-address budget allows).
    for client in helpers:
        if client not in actors.values():
            await client.close()
    return World(a, b, actors, own_seq, other_seq, [], ids)


def _outcome(reply: dict[str, Any]) -> str:
    return OK if reply["type"] == "ok" else str(reply["code"])


async def _ask(client: WsClient, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The reply; for a request the server closed the connection under instead, the
    close code, as an error whose code reads "closed N"."""
    try:
        return await client.request(type_, **fields)
    except ConnectionError:
        await client.wait_closed()
    return {"type": "error", "code": f"closed {client.close_code}", "message": ""}


def _matches(outcome: str, expected: Expect) -> bool:
    return outcome in expected if isinstance(expected, frozenset) else outcome == expected


def _show(expected: Expect) -> str:
    return "|".join(sorted(expected)) if isinstance(expected, frozenset) else expected


def _unsaid(world: World, actor: str, reply: dict[str, Any], asked: dict[str, Any]) -> list[str]:
    """The private rooms `actor` may not know of that `reply` names or shows (beyond
    echoing the id the request itself gave, as for any room that does not exist)."""
    text = str(reply).lower().replace(repr(str(asked.get("room", ""))).lower(), "")
    hidden = [room for room in ROOMS if not world.sees(actor, room)]
    return [
        room for room in hidden if world.ids[room].lower() in text or ROOMS[room][0].lower() in text
    ]


async def _run(world: World, op: Op) -> tuple[int, list[str]]:
    """Every actor's try at `op`: the number of rows, and what differs from the rule."""
    rows = 0
    wrong: list[str] = []
    for actor in ACTORS:
        client = world.actors[actor]
        if actor == "anonymous":  # a fresh one: register and login would log it in
            await client.close()
            client = world.actors[actor] = await WsClient.connect(world.a.url)
        rooms = SEATS[actor] if op.room_scoped else SEATS[actor][:1]
        for private, room in enumerate(rooms):
            rows += 1
            if actor == "srvbanned":
                client = await world.stale_banned()
            fields = op.fields(world.seat(actor, room))
            reply = await _ask(client, op.type, fields)
            got = _outcome(reply)
            expected = op.expected(actor, bool(private))
            where = f"{op.name} by {actor}" + (f" in {room}" if op.room_scoped else "")
            if not _matches(got, expected):
                detail = reply.get("message", "")
                wrong.append(f"{where}: {got} ({detail}); the rule says {_show(expected)}")
            if leaked := _unsaid(world, actor, reply, fields):
                wrong.append(f"{where}: the reply names or shows {leaked}: {reply}")
            if op.type == "join" and got == OK and actor not in MEMBERS:
                await client.ok("leave", room=world.ids[room])  # as they were, for `leave`
            if op.room_scoped and private and not world.sees(actor, room):
                # exactly as a room that does not exist
                ghost = await _ask(client, op.type, op.fields(world.seat(actor, GHOST)))
                said = reply.get("message", "").replace(world.ids[room], "<room>")
                ghost_said = ghost.get("message", "").replace(GHOST, "<room>")
                if (got, said) != (_outcome(ghost), ghost_said):
                    wrong.append(
                        f"{where}: {got} {said!r}, but a room that does not exist "
                        f"answers {_outcome(ghost)} {ghost_said!r}"
                    )
    return rows, wrong


async def test_authorization_matrix(start_server: StartServer, figure: Record) -> None:
    world = await build(start_server)
    total = 0
    differ: list[str] = []
    try:
        for op in OPS:
            rows, wrong = await _run(world, op)
            total += rows
            differ += wrong
            cells = {w.split(":")[0] for w in wrong}
            who = sorted({cell.split(" by ")[1].split(" in ")[0] for cell in cells})
            figure(
                "authorization",
                op.name,
                rows=rows,
                as_the_rule_says=rows - len(cells),
                differ=len(cells),
                differ_for=", ".join(who) or "-",
            )
    finally:
        await world.close()
    cells = {w.split(":")[0] for w in differ}
    figure(
        "authorization",
        f"all {len(OPS)} operations, {len(ACTORS)} actors",
        rows=total,
        as_the_rule_says=total - len(cells),
        differ=len(cells),
    )
    assert not differ, f"{len(cells)} rows differ from the rule:\n" + "\n".join(differ)
