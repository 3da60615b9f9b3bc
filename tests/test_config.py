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
