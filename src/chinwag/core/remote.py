"""The address a connection comes from, through the reverse proxies the admin trusts.

Behind nginx or Caddy every connection comes from the proxy, so the login throttle
would count the whole world as one address. A proxy listed in `trusted_proxies` passes
the client's address in `X-Forwarded-For`: the client is the right-most address in the
chain that is not itself a trusted proxy. The header is ignored from anyone else, so a
client cannot pick its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"127.0.0.1, 10.0.0.0/8, ::1"` -> networks; ValueError names a bad entry."""
    networks = []
    for item in text.replace(" ", "").split(","):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(networks)


def is_trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: `peer`, unless `peer` is a trusted proxy that forwarded one."""
    if not peer:
        return "?"
    if not forwarded_for or not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # garbage from the proxy: fall back to what we know
    return hops[0] if hops else peer
