"""The hub as the rest of the server sees it: a facade whose containers are its parts'
own, so that what the notifier and the use cases read and write is what the parts use."""

from __future__ import annotations

from chinwag.core.models import UserRecord
from chinwag.protocol.types import Message
from chinwag.server.hub import Hub
from chinwag.server.metrics import Metrics
from tests.server.support import make_connection


async def nothing_missed(room: str, seq: int, limit: int) -> list[Message]:
    return []


def make_hub() -> Hub:
    return Hub(Metrics(), max_outgoing=1 << 20, fetch_since=nothing_missed)


def test_the_facade_shares_its_parts_containers() -> None:
    hub = make_hub()
    assert hub.connections is hub.registry.connections
    assert hub.users is hub.registry.users
    assert hub.records is hub.registry.records
    assert hub.rooms is hub.registry.rooms
    assert hub.room_seq is hub.sequencer.last
    conn = make_connection("c1")
    hub.add(conn)
    assert hub.metrics.connections._value.get() == 1
    user = UserRecord(username="Ada", display_name="Ada", color="#336699", password_hash="x")
    assert hub.attach(conn, user, "ada", ["general"]) is True
    assert hub.is_online("ada") and hub.rooms == {"general": {conn}}
    hub.records["ada"] = user  # as the notifier does when a user changes
    assert hub.registry.records["ada"] is user
    hub.unsubscribe("ada", "general")
    hub.subscribe("ada", "general")
    assert conn.rooms == {"general"}
    assert hub.detach(conn) is True
    hub.remove(conn)
    assert not hub.connections and hub.metrics.connections._value.get() == 0


def test_a_room_nobody_here_follows_is_forgotten_by_the_sequencer() -> None:
    hub = make_hub()
    conn = make_connection("c1")
    hub.add(conn)
    user = UserRecord(username="bob", display_name="bob", color="#336699", password_hash="x")
    hub.attach(conn, user, "bob", ["dev"])
    hub.room_seq["dev"] = 41
    hub.unsubscribe("bob", "dev")
    assert "dev" not in hub.room_seq  # the next message there starts afresh


def test_admission_and_limits_read_and_write_through() -> None:
    hub = make_hub()
    assert not hub.overloaded and hub.lag == 0.0
    hub.overloaded = True
    assert hub.admission.overloaded
    hub.overloaded = False
    token = hub.commit_started()
    assert hub.commit_wait() >= 0.0
    hub.commit_done(token)
    assert hub.commit_wait() == 0.0
    assert hub.max_outgoing == 1 << 20
    hub.max_outgoing = 1 << 16
    assert hub.outgoing.max_outgoing == 1 << 16
