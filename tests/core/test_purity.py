"""protocol and core stay pure: importing all of them loads no I/O framework."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import chinwag.core
import chinwag.protocol

FORBIDDEN = ("asyncio", "aiohttp", "sqlalchemy", "redis", "argon2")

SCRIPT = """
import importlib, json, pkgutil, sys
import chinwag.core, chinwag.protocol
names = []
for package in (chinwag.protocol, chinwag.core):
    names.append(package.__name__)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
roots = {name.partition(".")[0] for name in sys.modules}
print(json.dumps({"imported": names, "roots": sorted(roots)}))
"""


def test_importing_protocol_and_core_loads_no_io_framework() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    expected = {
        info.name
        for package in (chinwag.protocol, chinwag.core)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    }
    assert expected <= set(report["imported"])
    assert {"chinwag.core.validation", "chinwag.protocol.codec"} <= expected
    loaded = sorted(set(FORBIDDEN) & set(report["roots"]))
    assert not loaded, f"protocol/core pulled in {loaded}"
