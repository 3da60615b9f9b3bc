"""The registry: who is where. Pure bookkeeping, tested without an event loop."""

from __future__ import annotations

from chinwag.core.models import UserRecord
from chinwag.server.registry import Registry
from tests.server.support import make_connection as connection


def user(name: str) -> UserRecord:
    return UserRecord(username=name, display_name=name, color="#336699", password_hash="x")


def test_a_connection_is_registered_then_removed() -> None:
    registry = Registry()
    conn = connection("c1")
    registry.add(conn)
    assert registry.connections == {conn}
    registry.remove(conn)
    registry.remove(conn)  # twice is harmless
    assert not registry.connections


def test_attach_logs_in_and_joins_rooms_detach_undoes_it() -> None:
    emptied: list[str] = []
    registry = Registry(on_room_emptied=emptied.append)
    phone, laptop = connection("c1"), connection("c2")
    for conn in (phone, laptop):
        registry.add(conn)
    assert registry.attach(phone, user("Alice"), "alice", ["general", "dev"]) is True
    assert registry.attach(laptop, user("Alice"), "alice", ["general"]) is False
    assert (phone.user_key, phone.username) == ("alice", "Alice")
    assert registry.users == {"alice": {phone, laptop}}
    assert registry.records["alice"].username == "Alice"
    assert registry.rooms == {"general": {phone, laptop}, "dev": {phone}}
    assert registry.is_online("alice") and not registry.is_online("bob")

    assert registry.detach(phone) is False  # the laptop is still here
    assert phone.user_key is None and phone.username is None and not phone.rooms
    assert emptied == ["dev"]
    assert registry.rooms == {"general": {laptop}}
    assert registry.detach(laptop) is True
    assert emptied == ["dev", "general"]
    assert registry.rooms == {} and registry.users == {} and registry.records == {}
    assert registry.detach(laptop) is False  # not logged in any more


def test_subscribe_and_unsubscribe_reach_every_connection_of_the_user() -> None:
    emptied: list[str] = []
    registry = Registry(on_room_emptied=emptied.append)
    a1, a2, b1 = connection("a1"), connection("a2"), connection("b1")
    registry.attach(a1, user("alice"), "alice", [])
    registry.attach(a2, user("alice"), "alice", [])
    registry.attach(b1, user("bob"), "bob", ["dm"])
    registry.subscribe("alice", "dm")
    assert registry.rooms["dm"] == {a1, a2, b1}
    assert "dm" in a1.rooms and "dm" in a2.rooms
    registry.subscribe("carol", "dm")  # not online here: nothing to do
    registry.unsubscribe("bob", "dm")
    assert registry.rooms["dm"] == {a1, a2} and not b1.rooms
    registry.unsubscribe("alice", "dm")
    assert "dm" not in registry.rooms
    assert emptied == ["dm"]
    registry.unsubscribe("alice", "dm")  # already out
    assert emptied == ["dm"]
