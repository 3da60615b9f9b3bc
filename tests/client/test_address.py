"""Server addresses as users type them: pure tests."""

from __future__ import annotations

import pytest

from chinwag.client.address import AddressError, display_address, server_url


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
