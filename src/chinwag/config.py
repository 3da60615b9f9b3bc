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


#: Most server processes `chinwag serve --workers` starts.
MAX_WORKERS = 256


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
    #: Prefix of the Redis keys and channel of this deployment (several deployments can
    #: share one Redis under different prefixes).
    bus_prefix: str = "chinwag"
    #: Seconds after which a node that stopped beating (it crashed) is taken for dead on
    #: a Redis bus and its users go offline everywhere; nodes beat every third of it.
    presence_ttl: float = 15.0
    #: Server processes sharing the port (`chinwag serve --workers`): a number, or "auto"
    #: for one per core. More than one needs a Redis bus (docs/deploy.md).
    workers: str = "1"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    registration: bool = True
    max_body: int = 4000
    max_frame: int = 64 * 1024
    #: Messages (and room changes, DMs, registrations) per second per user on a node, all
    #: their connections together, after a burst of `rate_burst` (0: no limit). Before
    #: login the allowance is per connection.
    rate_limit: float = 5.0
    rate_burst: int = 10
    # -- budgets at the doors (docs/protocol.md, "Budgets"); 0 turns one off --------------
    #: Seconds a connection may stay open without logging in (closed with 1008).
    login_timeout: float = 30.0
    #: Seconds to send a complete HTTP request head from its first byte (or from
    #: connecting); and seconds an idle kept-alive HTTP connection stays open.
    request_timeout: float = 10.0
    keepalive_timeout: float = 30.0
    #: Open WebSocket connections per address (as `trusted_proxies` tells it), and open
    #: TCP connections per peer address (proxies in `trusted_proxies` excepted).
    max_per_address: int = 64
    #: WebSocket connections not logged in yet, on this node.
    max_anonymous: int = 1000
    #: WebSocket connections per user on this node.
    max_per_user: int = 16
    #: Accounts registered per address within an hour (counted in the database).
    registrations_per_hour: int = 10
    #: Rooms one account may create within a day (counted in the database).
    rooms_per_day: int = 50
    #: Searches running at once on a node, and waiting for their turn beyond which more
    #: are refused (`rate_limited`): searches never crowd out sends.
    search_concurrency: int = 2
    search_waiting: int = 32
    #: Conversations (docs/protocol.md, "Conversations"): the members a room may have
    #: for anyone in it to notify everyone with @room / @here (0: only its owner and
    #: admins may); different emoji one message may carry; pinned messages per room.
    mention_all_max: int = 20
    max_reaction_kinds: int = 20
    max_pins: int = 50
    #: Origins allowed to open /ws besides the server's own (comma-separated, e.g.
    #: "https://chat.example.org"; "*": any). Clients that send no Origin are allowed.
    allowed_origins: str = ""
    #: Frames per second per connection after `flood_burst`, beyond which it is closed.
    flood_limit: float = 50.0
    flood_burst: int = 200
    #: Bytes waiting to be sent to one connection before it is dropped as too slow.
    max_outgoing: int = 4 * 1024 * 1024
    heartbeat: float = 30.0
    #: Seconds between this node's reads of the change stream when the bus is quiet: a
    #: lost doorbell is made good within this (plus one read).
    change_poll: float = 0.5
    session_days: int = 30
    #: Failed logins before waiting (docs/protocol.md, "Throttled logins"): for one
    #: account from one address; for one address across accounts, and for one account
    #: from every address it is not known to use (these two do not apply to an address
    #: the account logged in or resumed from within `known_address_days`).
    login_free_attempts: int = 5
    address_free_attempts: int = 20
    account_free_attempts: int = 50
    #: Days an address stays known to an account after its last login or resume there.
    known_address_days: int = 90
    #: Seconds a login waits for the failed-login counts in Redis before counting on
    #: this node alone (with a Redis bus only).
    throttle_timeout: float = 0.2
    #: Sessions a node keeps in memory, opened while the database could not store them
    #: (a full disk), until it can; logins beyond that wait for the database.
    max_unstored_sessions: int = 10_000
    #: Seconds /healthz waits for each of its checks (a read, a write, Redis).
    health_timeout: float = 2.0
    #: /healthz checks at most this often (seconds); in between it repeats the last result.
    health_interval: float = 1.0
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    #: Reverse proxies whose X-Forwarded-For names the client (comma-separated addresses
    #: or networks, e.g. "127.0.0.1,10.0.0.0/8"); empty: the header is ignored.
    trusted_proxies: str = ""
    #: Seconds a graceful shutdown waits for requests in flight.
    shutdown_grace: float = 10.0
    #: Seconds in which a graceful shutdown tells clients to expect the server back (the
    #: `restarting` event's `back_in`).
    restart_hint: float = 1.0
    log_level: str = "INFO"
    # -- files (docs/protocol.md, "Files") ------------------------------------------------
    #: Where files are kept: empty for `files/` in data_dir, a directory, or
    #: s3://bucket/prefix (endpoint and credentials: `files_endpoint`, AWS_* variables).
    files_url: str = ""
    files_endpoint: str = ""
    #: Another origin (https://files.example.com) that alone serves file downloads.
    files_origin: str = ""
    #: Largest upload (bytes); each account's uploads over a day; all files kept (0: no
    #: limit); uploads in progress per account and per node.
    max_upload: int = 25 * 1024 * 1024
    upload_quota: int = 1024 * 1024 * 1024
    files_cap: int = 20 * 1024 * 1024 * 1024
    uploads_per_user: int = 4
    max_uploads: int = 64
    #: Files one message may carry.
    max_attachments: int = 10
    #: Images beyond these are kept as plain files (no thumbnail, never shown inline).
    max_image_pixels: int = 40_000_000
    max_image_side: int = 10_000
    image_workers: int = 2
    #: Keep an image's upload as sent besides the copy served without EXIF location.
    keep_originals: bool = False
    #: Seconds between sweeps of deleted messages' files and uploads never attached
    #: within `unattached_hours`.
    files_sweep_interval: float = 3600.0
    unattached_hours: float = 24.0

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
        for name in ("login_timeout", "request_timeout", "keepalive_timeout"):
            if getattr(self, name) < 0:
                problems.append(f"{name} cannot be negative")
        for name in (
            "max_per_address",
            "max_anonymous",
            "max_per_user",
            "registrations_per_hour",
            "rooms_per_day",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} cannot be negative")
        if self.search_concurrency < 1 or self.search_waiting < 0:
            problems.append("search_concurrency must be at least 1, search_waiting at least 0")
        if self.mention_all_max < 0:
            problems.append("mention_all_max cannot be negative")
        if not 1 <= self.max_reaction_kinds <= 1000 or not 1 <= self.max_pins <= 1000:
            problems.append("max_reaction_kinds and max_pins must be from 1 to 1000")
        if self.max_outgoing < 64 * 1024:
            problems.append("max_outgoing must be at least 65536 bytes")
        if self.session_days < 1:
            problems.append("session_days must be at least 1")
        if min(self.login_free_attempts, self.address_free_attempts) < 0:
            problems.append("free login attempts cannot be negative")
        if self.account_free_attempts < 0:
            problems.append("account_free_attempts cannot be negative")
        if self.known_address_days < 0:
            problems.append("known_address_days cannot be negative")
        if self.max_unstored_sessions < 0:
            problems.append("max_unstored_sessions cannot be negative")
        if not 0 < self.throttle_timeout <= 10:
            problems.append("throttle_timeout must be more than 0 and at most 10 seconds")
        if not 0 < self.health_timeout <= 60:
            problems.append("health_timeout must be more than 0 and at most 60 seconds")
        if not 0 <= self.health_interval <= 60:
            problems.append("health_interval must be from 0 to 60 seconds")
        if not 0 <= self.restart_hint <= 3600:
            problems.append("restart_hint must be from 0 to 3600 seconds")
        if self.max_upload < 1 or min(self.upload_quota, self.files_cap) < 0:
            problems.append("max_upload must be at least 1; upload_quota, files_cap at least 0")
        if min(self.uploads_per_user, self.max_uploads, self.image_workers) < 1:
            problems.append("uploads_per_user, max_uploads and image_workers must be at least 1")
        if not 0 <= self.max_attachments <= 100:
            problems.append("max_attachments must be from 0 to 100")
        if self.files_sweep_interval <= 0 or self.unattached_hours <= 0:
            problems.append("files_sweep_interval and unattached_hours must be more than 0")
        if self.files_origin and not self.files_origin.startswith(("http://", "https://")):
            problems.append("files_origin must be an http:// or https:// origin")
        if not 1 <= self.presence_ttl <= 600:
            problems.append("presence_ttl must be from 1 to 600 seconds")
        if not self.bus_prefix or not self.bus_prefix.isprintable() or " " in self.bus_prefix:
            problems.append("bus_prefix must be a non-empty word without spaces")
        try:
            self.worker_count  # noqa: B018 - validates
        except ValueError as exc:
            problems.append(str(exc))
        if not 0 < self.change_poll <= 60:
            problems.append("change_poll must be more than 0 and at most 60 seconds")
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

    @property
    def worker_count(self) -> int:
        """How many server processes `workers` asks for ("auto": one per core)."""
        text = self.workers.strip().lower()
        if text == "auto":
            return os.cpu_count() or 1
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WORKERS:
            raise ValueError(f"workers must be from 1 to {MAX_WORKERS}, or auto (not {text!r})")
        return int(text)

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
