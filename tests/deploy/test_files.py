"""The deployment files mean what docs/deploy.md says: the example settings load, the
systemd unit is one systemd accepts, and the Dockerfile builds from the lock alone."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from chinwag.config import ServerConfig
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_the_example_settings_load_as_a_proxied_group_of_workers() -> None:
    config = ServerConfig.load(config_file=DEPLOY / "server.toml", environ={})
    assert (config.host, config.port, config.trusted_proxies) == ("127.0.0.1", 8081, "127.0.0.1")
    assert config.workers == "auto" and config.bus_url and config.bus_url.startswith("redis://")
    # the port is the first node of deploy/nginx.conf's upstream
    assert f"server 127.0.0.1:{config.port} " in (DEPLOY / "nginx.conf").read_text()


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is not installed (package systemd)")
    assert analyze is not None
    unit = (DEPLOY / "chinwag.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/chinwag/bin/chinwag serve" in unit
    # The unit as installed by its own instructions, with this environment's chinwag.
    chinwag = Path(sys.executable).with_name("chinwag")
    (tmp_path / "chinwag.service").write_text(
        unit.replace("/opt/chinwag/bin/chinwag", str(chinwag)), encoding="utf-8"
    )
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / "chinwag.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # What it says about the unit itself (not about the machine it runs on) is a fault.
    assert done.returncode == 0 and "chinwag.service" not in done.stderr, done.stderr


def test_the_image_installs_the_lock_with_hashes_and_copies_only_what_it_needs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile)
    assert installs, "no pip install in the Dockerfile"
    for args in installs:
        assert "--require-hashes -r requirements/" in args or "--no-deps" in args, args
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    let_through = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, flags=re.M):
        for source in sources.split():
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") in let_through, f".dockerignore leaves out {source}"
    assert re.search(r"^USER chinwag$", dockerfile, flags=re.M), "the server runs as root"
    assert 'VOLUME ["/data"]' in dockerfile and "CHINWAG_DATA_DIR=/data" in dockerfile
