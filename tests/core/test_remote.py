"""The client's address through trusted reverse proxies."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.core.remote import client_address, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8,::1")


def test_parse_networks() -> None:
    assert [str(n) for n in PROXIES] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert parse_networks("") == ()
    assert parse_networks(" , ") == ()
    with pytest.raises(ValueError, match="'nginx' is not an IP address"):
        parse_networks("127.0.0.1,nginx")


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        # no proxy trusted, or the peer is not one: the header is ignored
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),
        # a trusted proxy names the client
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("::1", "2001:db8::9", "2001:db8::9"),
        # a chain: the right-most address that is not a trusted proxy
        ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        # only proxies in the chain: the left-most one
        ("127.0.0.1", "10.0.0.2, 10.0.0.3", "10.0.0.2"),
        # a trusted proxy without the header, or with garbage in it
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        (None, "198.51.100.7", "?"),
    ],
)
def test_client_address(peer: str | None, header: str | None, expected: str) -> None:
    assert client_address(peer, header, PROXIES) == expected


def test_nothing_trusted_ignores_the_header() -> None:
    assert client_address("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"


@given(st.text(max_size=200))
def test_any_header_gives_an_address_and_never_raises(header: str) -> None:
    address = client_address("127.0.0.1", header, PROXIES)
    # the peer or an address of the chain: always a real IP address, never the text
    ipaddress.ip_address(address.strip("[]"))
