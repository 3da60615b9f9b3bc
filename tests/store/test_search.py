"""Full-text search on both databases: words in any order, Unicode case folded, word
starts, only the searcher's rooms, filters, pages, and an index that follows edits and
deletions."""

from __future__ import annotations

from typing import Any

from chinwag.store.records import SearchFilters
from chinwag.store.sql import SqlStore

NONE = SearchFilters()


async def _bodies(store: SqlStore, user: str, *words: str, **filters: Any) -> list[str]:
    found = await store.search(user, list(words), filters=SearchFilters(**filters))
    return [m.body for m in found]


async def _seed(store: SqlStore) -> None:
    await store.create_user("alice", "x", display_name="alice", color="#000000", now=1)
    await store.create_user("bob", "x", display_name="bob", color="#000000", now=1)
    await store.ensure_room("talk", "talk", "public", now=1)
    await store.ensure_room("secret", "Secret", "private", now=1)
    for user in ("alice", "bob"):
        await store.add_member("talk", user, role="member", now=1)
    await store.add_member("secret", "bob", role="member", now=1)
    bodies = [
        ("bob", "hello there alice"),
        ("alice", "Привет, МИР!"),
        ("bob", "pizza tonight? 50% off_pizza"),
        ("alice", "no pizza for me"),
        ("bob", "Hellooo everyone"),
        ("bob", "the mir space station"),
    ]
    for i, (sender, body) in enumerate(bodies):
        await store.append_message("talk", sender, body, client_msg_id=None, now=100 + i)
    await store.append_message("secret", "bob", "secret pizza", client_msg_id=None, now=200)
    await store.append_message(
        "talk", "bob", "pizza party", client_msg_id=None, now=300, kind="system"
    )


async def test_words_in_any_order_unicode_case_and_word_starts(store: SqlStore) -> None:
    await _seed(store)
    assert await _bodies(store, "alice", "hello", "alice") == ["hello there alice"]
    assert await _bodies(store, "alice", "alice", "hello") == ["hello there alice"]
    # Unicode case: upper finds lower and the other way round
    assert await _bodies(store, "alice", "мир") == ["Привет, МИР!"]
    assert await _bodies(store, "ALICE", "ПРИВЕТ") == ["Привет, МИР!"]
    # the start of a word finds the word; not the middle of one
    assert await _bodies(store, "alice", "hel") == ["Hellooo everyone", "hello there alice"]
    assert await _bodies(store, "alice", "llo") == []
    # underscores and punctuation separate words; system messages are not searched
    assert await _bodies(store, "alice", "pizza") == [
        "no pizza for me",
        "pizza tonight? 50% off_pizza",
    ]
    assert await _bodies(store, "alice", "off") == ["pizza tonight? 50% off_pizza"]
    # words quoted in the index's syntax are plain words
    assert await _bodies(store, "alice", 'pizza"', "OR") == []
    assert await _bodies(store, "alice", "*") == []


async def test_only_the_searchers_rooms_and_the_filters(store: SqlStore) -> None:
    await _seed(store)
    assert await _bodies(store, "bob", "secret") == ["secret pizza"]
    assert await _bodies(store, "alice", "secret") == []
    assert await _bodies(store, "alice", "pizza", room_id="secret") == []
    assert await _bodies(store, "bob", "pizza", room_id="secret") == ["secret pizza"]
    assert await _bodies(store, "bob", "pizza", sender="ALICE") == ["no pizza for me"]
    assert await _bodies(store, "bob", "pizza", since=103) == ["secret pizza", "no pizza for me"]
    assert await _bodies(store, "bob", "pizza", until=103) == ["pizza tonight? 50% off_pizza"]
    assert await store.search("alice", [], filters=NONE) == []


async def test_pages_follow_one_another_without_gaps(store: SqlStore) -> None:
    await store.create_user("carol", "x", display_name="carol", color="#000000", now=1)
    await store.ensure_room("busy", "busy", "public", now=1)
    await store.add_member("busy", "carol", role="member", now=1)
    for i in range(25):
        # several messages share a time: the page boundary must not skip or repeat them
        await store.append_message(
            "busy", "carol", f"word {i}", client_msg_id=None, now=1000 + i // 3
        )
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = await store.search("carol", ["word"], filters=SearchFilters(after=after), limit=4)
        if not page:
            break
        seen += [m.body for m in page]
        last = page[-1]
        after = (last.ts, last.room, last.seq)
    assert seen == [f"word {i}" for i in reversed(range(25))]


async def test_the_index_follows_edits_and_deletions(store: SqlStore) -> None:
    await _seed(store)
    assert await _bodies(store, "alice", "station") == ["the mir space station"]
    await store.edit_message("talk", 6, "the orbital outpost", now=500)
    assert await _bodies(store, "alice", "station") == []
    assert await _bodies(store, "alice", "orbital") == ["the orbital outpost"]
    await store.delete_message("talk", 6)
    assert await _bodies(store, "alice", "orbital") == []
