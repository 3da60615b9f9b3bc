"""The server as a process: start-up output, kill -9 durability, graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import unavailable
from tests.server.conftest import StartServer
from tests.server.support import WsClient, login, register

FAST = {
    "CHINWAG_ARGON2_TIME_COST": "1",
    "CHINWAG_ARGON2_MEMORY_KIB": "64",
    "CHINWAG_ARGON2_PARALLELISM": "1",
    "CHINWAG_RATE_LIMIT": "0",
    "CHINWAG_FLOOD_LIMIT": "0",
}


class ServerProcess:
    def __init__(self, proc: asyncio.subprocess.Process, url: str, banner: list[str]) -> None:
        self.proc = proc
        self.url = url
        self.banner = banner

    @classmethod
    async def start(cls, data_dir: Path, *args: str) -> ServerProcess:
        env = {**os.environ, **FAST}
        env.pop("CHINWAG_CONFIG", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None
        banner: list[str] = []
        async with asyncio.timeout(30):
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    err = await proc.stderr.read() if proc.stderr else b""
                    raise RuntimeError(f"server exited: {err.decode()[-2000:]}")
                banner.append(line.rstrip())
                if line.startswith("Press Ctrl-C"):
                    break
        pattern = re.compile(r"Browser:\s+(https?)://([^/]+)/")
        match = next(m for m in map(pattern.search, banner) if m)
        scheme = "wss" if match.group(1) == "https" else "ws"
        return cls(proc, f"{scheme}://{match.group(2)}/ws", banner)

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signum)
        async with asyncio.timeout(30):
            _, self.stderr = await self.proc.communicate()
        assert self.proc.returncode is not None
        return self.proc.returncode

    stderr: bytes = b""


@pytest.fixture
async def processes() -> AsyncIterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for item in started:
        if item.proc.returncode is None:
            item.proc.kill()
            await item.proc.wait()


async def test_banner_lists_addresses(tmp_path: Path, processes: list[ServerProcess]) -> None:
    server = await ServerProcess.start(tmp_path)
    processes.append(server)
    text = "\n".join(server.banner)
    assert "chinwag" in text and str(tmp_path / "chinwag.db") in text
    assert re.search(r"Browser:\s+http://127\.0\.0\.1:\d+/", text)
    assert re.search(r"Desktop:\s+chinwag desktop --server 127\.0\.0\.1:\d+", text)
    assert await server.stop() == 0


async def test_acknowledged_messages_survive_kill_9(
    tmp_path: Path, processes: list[ServerProcess]
) -> None:
    server = await ServerProcess.start(tmp_path)
    processes.append(server)
    alice = await register(server.url, "alice")
    acked: dict[str, dict[str, object]] = {}
    total = 400
    for i in range(total):  # pipelined: no waiting between sends
        await alice.ws.send_str(
            json.dumps(
                {
                    "type": "send",
                    "id": f"s{i}",
                    "room": "general",
                    "body": f"durable {i}",
                    "client_msg_id": f"c{i}",
                }
            )
        )

    async def collect() -> None:
        while len(acked) < total // 2:
            await asyncio.sleep(0.001)
            for frame in list(alice.events):
                if frame.get("type") == "ok" and frame["id"].startswith("s"):
                    acked[frame["id"]] = frame["message"]

    async with asyncio.timeout(30):
        await collect()
    server.proc.kill()  # SIGKILL while sends are still arriving
    await server.proc.wait()
    for frame in list(alice.events):
        if frame.get("type") == "ok" and frame["id"].startswith("s"):
            acked[frame["id"]] = frame["message"]
    await alice.close()

    restarted = await ServerProcess.start(tmp_path)
    processes.append(restarted)
    again = await login(restarted.url, "alice")
    stored: dict[int, dict[str, object]] = {}
    before = None
    while True:
        page = await again.ok("history", room="general", before=before, limit=200)
        for message in page["messages"]:
            stored[message["seq"]] = message
        if not page["more"]:
            break
        before = page["messages"][0]["seq"]
    assert sorted(stored) == list(range(1, len(stored) + 1))  # no gap
    for message in acked.values():
        assert stored[message["seq"]] == message  # every acknowledged one, unchanged
    # resending everything with the same ids stores each missing one exactly once
    for i in range(total):
        await again.ok("send", room="general", body=f"durable {i}", client_msg_id=f"c{i}")
    bodies = [
        m["body"] for m in (await again.ok("sync", since={"general": 0}, limit=1000))["messages"]
    ]
    assert sorted(b for b in bodies if b.startswith("durable")) == sorted(
        f"durable {i}" for i in range(total)
    )
    await again.close()
    assert await restarted.stop() == 0


async def test_sigterm_closes_clients_with_a_reason(
    tmp_path: Path, processes: list[ServerProcess]
) -> None:
    server = await ServerProcess.start(tmp_path)
    processes.append(server)
    alice = await register(server.url, "alice")
    await alice.ok("send", room="general", body="last words", client_msg_id="1")
    server.proc.send_signal(signal.SIGTERM)
    assert await alice.wait_closed() == 1012
    assert alice.ws.close_code == 1012
    assert await server.stop() == 0
    log = server.stderr.decode()
    assert "disconnect" in log and "shut down" in log
    await alice.close()


async def test_graceful_shutdown_in_process(start_server: StartServer) -> None:
    """Every connection, logged in or not, is told when to come back, then closed with
    1012 (service restart)."""
    server = await start_server(restart_hint=2.5)
    alice = await register(server.url, "alice")
    bob = await WsClient.connect(server.url)
    await server.close()
    assert await alice.event("restarting") == {"type": "restarting", "back_in": 2.5}
    assert await bob.event("restarting") == {"type": "restarting", "back_in": 2.5}
    assert await alice.wait_closed() == 1012
    assert await bob.wait_closed() == 1012
    assert not [e for e in alice.events if e["type"] == "server_notice"]
    await alice.close()
    await bob.close()


async def test_tls_serves_wss(tmp_path: Path, processes: list[ServerProcess]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = await asyncio.create_subprocess_exec(
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await made.wait() == 0
    server = await ServerProcess.start(
        tmp_path / "data", "--tls-cert", str(cert), "--tls-key", str(key)
    )
    processes.append(server)
    assert server.url.startswith("wss://127.0.0.1:")
    assert any("chinwag desktop --server wss://127.0.0.1:" in line for line in server.banner)
    trusted = ssl.create_default_context(cafile=str(cert))
    alice = await WsClient.connect(server.url, ssl=trusted)
    await alice.ok("register", username="alice", password="correct horse")
    await alice.ok("send", room="general", body="over TLS", client_msg_id="1")
    await alice.message("general", "over TLS")
    await alice.close()
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await WsClient.connect(server.url)  # an untrusted certificate is refused
    assert await server.stop() == 0
