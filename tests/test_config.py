"""Settings: flags, then CHINWAG_* variables, then a TOML file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from chinwag.config import ConfigError, ServerConfig


def test_defaults_are_local_and_safe() -> None:
    config = ServerConfig.load({}, environ={})
    assert config.host == "127.0.0.1" and config.port == 8080
    assert config.registration is True
    assert config.resolved_database_url().startswith("sqlite:///")
    assert config.resolved_database_url().endswith("chinwag.db")


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "server.toml"
    toml.write_text('port = 9000\nhost = "0.0.0.0"\nmax-body = 100\nregistration = false\n')
    environ = {"CHINWAG_PORT": "9100", "CHINWAG_RATE_LIMIT": "2.5"}
    config = ServerConfig.load({"port": 9200, "host": None}, environ=environ, config_file=toml)
    assert config.port == 9200  # flag beats environment
    assert config.rate_limit == 2.5  # environment beats file
    assert config.host == "0.0.0.0" and config.max_body == 100  # file beats default
    assert config.registration is False
    config = ServerConfig.load({}, environ={"CHINWAG_CONFIG": str(toml)})
    assert config.port == 9000


def test_bad_values_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port"):
        ServerConfig.load({}, environ={"CHINWAG_PORT": "eighty"})
    with pytest.raises(ConfigError, match="registration"):
        ServerConfig.load({}, environ={"CHINWAG_REGISTRATION": "perhaps"})
    toml = tmp_path / "bad.toml"
    toml.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        ServerConfig.load({}, environ={}, config_file=toml)
    toml.write_text("port = \n")
    with pytest.raises(ConfigError, match="cannot read"):
        ServerConfig.load({}, environ={}, config_file=toml)


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        ({"port": 70000}, "port"),
        ({"rate_limit": 5, "rate_burst": 0}, "rate_burst"),
        ({"tls_cert": "cert.pem"}, "go together"),
        ({"max_body": 0}, "max_body"),
        ({"trusted_proxies": "127.0.0.1,nginx"}, "trusted_proxies: 'nginx' is not an IP"),
        ({"login_free_attempts": -1}, "free login attempts"),
        ({"account_free_attempts": -1}, "account_free_attempts"),
        ({"known_address_days": -1}, "known_address_days"),
        ({"throttle_timeout": 0}, "throttle_timeout"),
        ({"health_timeout": 0}, "health_timeout"),
        ({"health_interval": -1}, "health_interval"),
        ({"max_unstored_sessions": -1}, "max_unstored_sessions"),
        ({"mention_all_max": -1}, "mention_all_max"),
        ({"max_reaction_kinds": 0}, "max_reaction_kinds"),
        ({"max_pins": 1001}, "max_pins"),
    ],
)
def test_inconsistent_settings_are_refused(flags: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        ServerConfig.load(flags, environ={})


def test_paths_and_optional_values() -> None:
    config = ServerConfig.load(
        {"tls_cert": "~/cert.pem", "tls_key": "~/key.pem", "database_url": ""},
        environ={"CHINWAG_DATA_DIR": "/srv/chat"},
    )
    assert config.tls_cert is not None and config.tls_cert.name == "cert.pem"
    assert "~" not in str(config.tls_cert)
    assert config.database_url is None
    assert str(config.data_dir) == "/srv/chat"


def test_the_throttle_and_health_settings_come_from_the_environment() -> None:
    config = ServerConfig.load(
        {},
        environ={
            "CHINWAG_KNOWN_ADDRESS_DAYS": "30",
            "CHINWAG_THROTTLE_TIMEOUT": "0.5",
            "CHINWAG_HEALTH_TIMEOUT": "1",
            "CHINWAG_HEALTH_INTERVAL": "0",
        },
    )
    assert (config.known_address_days, config.throttle_timeout) == (30, 0.5)
    assert (config.health_timeout, config.health_interval) == (1.0, 0.0)
    defaults = ServerConfig.load({}, environ={})
    assert (defaults.known_address_days, defaults.throttle_timeout) == (90, 0.2)
    assert (defaults.health_timeout, defaults.health_interval) == (2.0, 1.0)
    assert defaults.max_unstored_sessions == 10_000


def test_workers_are_a_count_or_auto_from_any_source(tmp_path: Path) -> None:
    import os

    assert ServerConfig.load(environ={}).worker_count == 1
    auto = ServerConfig.load({"workers": "auto"}, environ={})
    assert auto.worker_count == (os.cpu_count() or 1)
    assert ServerConfig.load(environ={"CHINWAG_WORKERS": "3"}).worker_count == 3
    toml = tmp_path / "server.toml"
    toml.write_text('workers = "AUTO"\npresence_ttl = 6\nbus_prefix = "team-a"\n')
    loaded = ServerConfig.load(config_file=toml, environ={})
    assert (loaded.worker_count, loaded.presence_ttl, loaded.bus_prefix) == (
        os.cpu_count() or 1,
        6.0,
        "team-a",
    )


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        ({"workers": "0"}, "workers must be from 1 to 256, or auto (not '0')"),
        ({"workers": "257"}, "workers must be from 1 to 256"),
        ({"workers": "²"}, "workers must be from 1 to 256"),
        ({"workers": "-2"}, "workers must be from 1 to 256"),
        ({"presence_ttl": 0.5}, "presence_ttl must be from 1 to 600 seconds"),
        ({"bus_prefix": "two words"}, "bus_prefix must be a non-empty word without spaces"),
        ({"bus_prefix": ""}, "bus_prefix must be a non-empty word without spaces"),
    ],
)
def test_bad_worker_and_presence_settings_are_refused(
    flags: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        ServerConfig(**flags)  # type: ignore[arg-type]


def test_the_budgets_of_conversations_come_from_flags_and_the_environment() -> None:
    from chinwag.cli import SERVE_FLAGS, build_parser, flags

    assert ServerConfig.load({}, environ={}).mention_all_max == 20
    args = build_parser().parse_args(
        ["serve", "--mention-all-max", "0", "--max-reaction-kinds", "5", "--max-pins", "7"]
    )
    config = ServerConfig.load(flags(args, *SERVE_FLAGS), environ={})
    assert (config.mention_all_max, config.max_reaction_kinds, config.max_pins) == (0, 5, 7)
    config = ServerConfig.load({}, environ={"CHINWAG_MAX_PINS": "3"})
    assert config.max_pins == 3
