"""deploy/nginx.conf, run by Debian's nginx (as the current user, with its own pid, logs
and temp files in a temp dir, on loopback ports) with TLS from a self-signed certificate,
in front of two chinwag nodes on PostgreSQL and Redis that trust it as a proxy: clients
log in, send and receive across the nodes through it, and the nodes see each client's
own address, not nginx's nor one the client made up."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import secrets
import shutil
import signal
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from tests.conftest import checked_redis_url, fresh_postgres_database, unavailable
from tests.reliability.processes import Node, free_port
from tests.server.support import WsClient

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"
#: Where the clients come from: a loopback address other than nginx's own (127.0.0.1).
CLIENT = "127.0.0.2"
FORGED = "203.0.113.9"
START_TIMEOUT = 20.0


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        unavailable("nginx is not installed (apt-get install nginx)")
    assert found is not None
    return found


async def self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is needed to make a test certificate")
    assert openssl is not None
    cert, key = directory / "cert.pem", directory / "key.pem"
    made = await asyncio.create_subprocess_exec(
        *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        *("-keyout", str(key), "-out", str(cert)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await made.wait() == 0
    return cert, key


def configure(directory: Path, nodes: list[Node], cert: Path, key: Path) -> tuple[Path, int, int]:
    """deploy/nginx.conf with this test's ports, nodes and certificate, inside a main
    configuration that keeps every file nginx writes in `directory`."""
    https, http = free_port(), free_port()
    text = CONF.read_text(encoding="utf-8")
    for shipped, here in (
        ("server 127.0.0.1:8081 ", f"server 127.0.0.1:{nodes[0].port} "),
        ("server 127.0.0.1:8082 ", f"server 127.0.0.1:{nodes[1].port} "),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("/etc/letsencrypt/live/chat.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/chat.example.org/privkey.pem", str(key)),
    ):
        assert text.count(shipped) == 1, f"deploy/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, here)
    (directory / "chinwag.conf").write_text(text, encoding="utf-8")
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        f"""daemon off;
{user}
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} notice;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {directory / "access.log"};
{temp}
    include {directory / "chinwag.conf"};
}}
""",
        encoding="utf-8",
    )
    return main, https, http


@contextlib.asynccontextmanager
async def nginx(directory: Path, main: Path, port: int) -> AsyncIterator[None]:
    exe = nginx_binary()
    log = directory / "error.log"
    proc = await asyncio.create_subprocess_exec(
        *(exe, "-p", str(directory), "-e", str(log), "-c", str(main)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                if proc.returncode is not None:
                    assert proc.stderr is not None
                    said = (await proc.stderr.read()).decode(errors="replace")
                    raise AssertionError(f"nginx stopped: {said}{log.read_text()}")
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    await writer.wait_closed()
                    break
                await asyncio.sleep(0.05)
        yield
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            async with asyncio.timeout(30):
                await proc.wait()


async def node_ids(url: str, ctx: ssl.SSLContext, want: int) -> set[str]:
    """The node ids /healthz names, asked through nginx until `want` were seen."""
    seen: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for _ in range(20):
            async with session.get(f"{url}/healthz", ssl=ctx) as response:
                assert response.status == 200
                seen.add((await response.json())["node"])
            if len(seen) == want:
                break
    return seen


async def connections(node: Node) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{node.http}/healthz") as r:
        return int((await r.json())["connections"])


async def test_two_nodes_behind_nginx_with_tls(tmp_path: Path) -> None:
    nginx_binary()
    redis = await checked_redis_url()
    cert, key = await self_signed(tmp_path)
    env = {"CHINWAG_BUS_PREFIX": f"chinwag-test-{secrets.token_hex(4)}"}
    async with contextlib.AsyncExitStack() as stack:
        database = await stack.enter_async_context(fresh_postgres_database())
        nodes = []
        for name in ("a", "b"):
            node = Node(
                tmp_path / name,
                *("--database-url", database, "--bus-url", redis, "--node-id", name),
                *("--trusted-proxies", "127.0.0.1"),
                # on (the processes' defaults turn it off): accounts then keep the
                # address they registered from
                *("--registrations-per-hour", "100"),
                env=env,
            )
            nodes.append(node)
            stack.push_async_callback(node.stop)
            await node.start()
        web = tmp_path / "nginx"
        web.mkdir()
        main, https, http = configure(web, nodes, cert, key)
        await stack.enter_async_context(nginx(web, main, https))
        origin = f"https://127.0.0.1:{https}"
        ctx = ssl.create_default_context(cafile=str(cert))

        # Plain HTTP is sent to https; both nodes answer behind the one address.
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{http}/", allow_redirects=False) as moved,
        ):
            assert moved.status == 301
            assert moved.headers["Location"] == "https://127.0.0.1/"
        assert await node_ids(origin, ctx, 2) == {"a", "b"}
        async with aiohttp.ClientSession() as session, session.get(origin, ssl=ctx) as page:
            assert page.status == 200 and "text/html" in page.headers["Content-Type"]

        # Users register through nginx, as a browser would (its Origin, over wss), and
        # with a made-up X-Forwarded-For, until each node holds one of them.
        clients: list[WsClient] = []
        for n in range(8):
            client = await WsClient.connect(
                f"wss://127.0.0.1:{https}/ws",
                local=CLIENT,
                ssl=ctx,
                headers={"Origin": origin, "X-Forwarded-For": FORGED},
            )
            stack.push_async_callback(client.close)
            reply = await client.ok("register", username=f"user{n}", password="correct horse")
            client.username = reply["user"]["username"]
            clients.append(client)
            if len(clients) >= 2 and min([await connections(node) for node in nodes]) >= 1:
                break
        assert min([await connections(node) for node in nodes]) >= 1

        # Everyone's message reaches everyone else, so some crossed between the nodes.
        for i, sender in enumerate(clients):
            await sender.ok("send", room="general", body=f"hello {i}", client_msg_id=str(i))
        for i, sender in enumerate(clients):
            for receiver in clients:
                if receiver is not sender:
                    got = await receiver.message("general", f"hello {i}")
                    assert got["sender"] == sender.username

        # A login through nginx, then what the nodes took for each client's address.
        again = await WsClient.connect(f"wss://127.0.0.1:{https}/ws", local=CLIENT, ssl=ctx)
        stack.push_async_callback(again.close)
        await again.ok("login", username="user0", password="correct horse")
        dsn = make_url(database).set(drivername="postgresql").render_as_string(False)
        db = await asyncpg.connect(dsn)
        try:
            registered = {r[0] for r in await db.fetch("SELECT registered_from FROM users")}
            logged = {r[0] for r in await db.fetch("SELECT address FROM login_addresses")}
        finally:
            await db.close()
        assert registered == {CLIENT}
        assert logged == {CLIENT}
