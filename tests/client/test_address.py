"""Server addresses as users type them, and the back-off rule: pure tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.client.address import AddressError, display_address, server_url
from chinwag.client.errors import backoff_delay


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("localhost:8080", "ws://localhost:8080/ws"),
        ("localhost", "ws://localhost:8080/ws"),
        (" 10.0.0.5:9000 ", "ws://10.0.0.5:9000/ws"),
        ("ws://chat.example:81", "ws://chat.example:81/ws"),
        ("wss://chat.example", "wss://chat.example/ws"),
        ("WSS://chat.example/", "wss://chat.example/ws"),
        ("http://127.0.0.1:8080/", "ws://127.0.0.1:8080/ws"),
        ("https://chat.example:8443", "wss://chat.example:8443/ws"),
        ("https://example.org/chat/ws", "wss://example.org/chat/ws"),
        ("[::1]:8080", "ws://[::1]:8080/ws"),
    ],
)
def test_addresses(typed: str, url: str) -> None:
    assert server_url(typed) == url


@pytest.mark.parametrize("typed", ["", "   ", "ftp://x", "host:notaport", "a b:80", "u@h:1"])
def test_bad_addresses(typed: str) -> None:
    with pytest.raises(AddressError):
        server_url(typed)


def test_display_address_is_short() -> None:
    assert display_address("ws://localhost:8080/ws") == "localhost:8080"
    assert display_address("wss://chat.example/ws") == "wss://chat.example"
    assert server_url(display_address("wss://chat.example:8443/ws")) == (
        "wss://chat.example:8443/ws"
    )


@given(st.integers(0, 200), st.floats(0, 1, exclude_max=True))
def test_backoff_is_full_jitter_and_capped(attempt: int, draw: float) -> None:
    delay = backoff_delay(attempt, 0.5, 30.0, lambda: draw)
    assert 0 <= delay < 30.0 or (delay == 0 and draw == 0)
    assert delay <= min(30.0, 0.5 * 2**attempt)


def test_backoff_doubles_until_the_cap() -> None:
    top = [backoff_delay(n, 0.5, 30.0, lambda: 1.0) for n in range(10)]
    assert top == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30]
