"""The server's one typed configuration: CLI flags, then CHINWAG_* variables, then TOML.

`ServerConfig.load()` takes the flags that were given on the command line (None for
flags left out), looks up `CHINWAG_<FIELD>` in the environment for the rest, then an
optional TOML file (`--config`, `CHINWAG_CONFIG`, or `server.toml` in the user's config
directory), then the defaults below.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from chinwag.core.remote import parse_networks

APP_NAME = "chinwag"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "server.toml"


class ConfigError(ValueError):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    #: SQLAlchemy URL; default: SQLite file chinwag.db in data_dir.
    database_url: str | None = None
    #: redis://... to run several nodes; default: this process alone.
    bus_url: str | None = None
    node_id: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    registration: bool = True
    max_body: int = 4000
    max_frame: int = 64 * 1024
    #: Messages per second per connection, after a burst of `rate_burst` (0: no limit).
    rate_limit: float = 5.0
    rate_burst: int = 10
    #: Frames per second per connection after `flood_burst`, beyond which it is closed.
    flood_limit: float = 50.0
    flood_burst: int = 200
    #: Bytes waiting to be sent to one connection before it is dropped as too slow.
    max_outgoing: int = 4 * 1024 * 1024
    heartbeat: float = 30.0
    session_days: int = 30
    #: Failed logins before waiting: for one account from one address, for one address,
    #: and for one account from anywhere.
    login_free_attempts: int = 5
    address_free_attempts: int = 20
    account_free_attempts: int = 50
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    #: Reverse proxies whose X-Forwarded-For names the client (comma-separated addresses
    #: or networks, e.g. "127.0.0.1,10.0.0.0/8"); empty: the header is ignored.
    trusted_proxies: str = ""
    #: Seconds a graceful shutdown waits for requests in flight.
    shutdown_grace: float = 10.0
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is not between 0 and 65535")
        if self.max_body < 1:
            problems.append("max_body must be at least 1")
        if self.max_frame < 1024:
            problems.append("max_frame must be at least 1024 bytes")
        if self.rate_limit > 0 and self.rate_burst < 1:
            problems.append("rate_burst must be at least 1 when rate_limit is on")
        if self.flood_limit > 0 and self.flood_burst < 1:
            problems.append("flood_burst must be at least 1 when flood_limit is on")
        if self.max_outgoing < 64 * 1024:
            problems.append("max_outgoing must be at least 65536 bytes")
        if self.session_days < 1:
            problems.append("session_days must be at least 1")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            problems.append(f"trusted_proxies: {exc}")
        if (self.tls_cert is None) != (self.tls_key is None):
            problems.append("tls_cert and tls_key go together")
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(self.data_dir / "chinwag.db")

    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> ServerConfig:
        environ = os.environ if environ is None else environ
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}

        path = config_file or _path_or_none(environ.get("CHINWAG_CONFIG"))
        if path is None and default_config_file().is_file():
            path = default_config_file()
        if path is not None:
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc
            for key, value in table.items():
                name = key.replace("-", "_")
                if name not in names:
                    raise ConfigError(f"{path}: unknown setting {key!r}")
                values[name] = _convert(name, names[name].type, value)

        for name, field in names.items():
            raw = environ.get(f"CHINWAG_{name.upper()}")
            if raw is not None:
                values[name] = _convert(name, field.type, raw)

        for name, value in (flags or {}).items():
            if value is not None:
                if name not in names:
                    raise ConfigError(f"unknown setting {name!r}")
                values[name] = _convert(name, names[name].type, value)

        return cls(**values)


def _path_or_none(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


_TYPES: dict[str, Any] = {"Path": Path, "str": str, "int": int, "float": float, "bool": bool}


def _convert(name: str, annotation: Any, value: Any) -> Any:
    """Turn a TOML value or an environment string into the field's type."""
    text = str(annotation).replace(" ", "")
    optional = text.endswith("|None")
    base = _TYPES[text.removesuffix("|None")]
    if optional and (value is None or value == ""):
        return None
    try:
        if base is bool:
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if base is Path:
            return Path(str(value)).expanduser()
        return base(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot use {value!r} ({exc})") from None


# The annotations are strings (postponed evaluation); make sure each field's type is one
# that _convert knows, so a new field with an unsupported type fails at import.
for _field in dataclasses.fields(ServerConfig):
    assert str(_field.type).replace(" ", "").removesuffix("|None") in _TYPES, _field.name
del _field
