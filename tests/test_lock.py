"""requirements/ is the lock of pyproject.toml: every install comes from it, so it must
pin, with hashes, a version of everything pyproject.toml asks for (`make lock` refreshes
it; a dependency added without `make lock` fails here rather than on a fresh clone)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQ = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
LOCKS = ("bootstrap", "runtime", "dev", "bench")

#: "name==version" or "name==version ; marker", then " \" and the hash lines.
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)(?:\s*;\s*(.+?))?\s*\\?$")


def pins(lock: str) -> dict[str, list[tuple[Version, str | None]]]:
    """Package -> its pins (one per marker: a universal lock may split by platform)."""
    found: dict[str, list[tuple[Version, str | None]]] = {}
    lines = (REQ / f"{lock}.txt").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("#", " ")) or not line.strip():
            continue
        match = PIN.match(line)
        assert match, f"{lock}.txt: not an exact pin: {line!r}"
        assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{lock}.txt: no hash: {line}"
        name, version, marker = match.groups()
        found.setdefault(canonicalize_name(name), []).append((Version(version), marker))
    return found


def requirements(which: str) -> list[Requirement]:
    if which == "bootstrap":
        return [Requirement("pip"), *map(Requirement, PYPROJECT["build-system"]["requires"])]
    extras = {"runtime": [], "dev": ["dev"], "bench": ["bench"]}[which]
    listed = [
        *PROJECT["dependencies"],
        *(r for e in extras for r in PROJECT["optional-dependencies"][e]),
    ]
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_is_made_by_make_lock(lock: str) -> None:
    text = (REQ / f"{lock}.txt").read_text(encoding="utf-8")
    assert "#    make lock\n" in text.split("\n\n")[0], f"{lock}.txt: run `make lock`"


@pytest.mark.parametrize("lock", LOCKS)
def test_everything_pyproject_asks_for_is_pinned_in_a_version_it_allows(lock: str) -> None:
    locked = pins(lock)
    for req in requirements(lock):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} is not in requirements/{lock}.txt: run `make lock`"
        for version, marker in locked[name]:
            assert req.specifier.contains(version, prereleases=True), (
                f"requirements/{lock}.txt pins {name}=={version} ({marker}), "
                f"but pyproject.toml asks for {req}: run `make lock`"
            )


def test_packages_shared_by_two_locks_have_the_same_version() -> None:
    runtime, bootstrap = pins("runtime"), pins("bootstrap")
    for lock in ("dev", "bench"):
        locked = pins(lock)
        for base in (runtime, bootstrap):
            for name, versions in base.items():
                if name in locked:
                    assert sorted(map(str, locked[name])) == sorted(map(str, versions)), name
