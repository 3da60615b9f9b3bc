"""The `pg_dump` command `chinwag admin backup` gives for a PostgreSQL URL (it runs for
real in tests/test_cli_data.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from chinwag.store.sql.archive_backup import pg_dump_command


def test_the_url_s_parts_become_pg_dump_s_and_the_password_stays_off_the_line() -> None:
    url = make_url("postgresql+asyncpg://chat:s3cret@db.example:5433/chat?sslmode=require")
    dump = pg_dump_command(url, Path("/backups/chat.dump"))
    assert dump.argv == [
        "pg_dump",
        "--format=custom",
        "--file=/backups/chat.dump",
        "--host=db.example",
        "--port=5433",
        "--username=chat",
        "chat",
    ]
    assert dump.env == {"PGPASSWORD": "s3cret", "PGSSLMODE": "require"}
    assert "s3cret" not in dump.shown and dump.left_out == []


def test_a_socket_directory_and_options_pg_dump_is_not_given() -> None:
    url = make_url("postgresql:///chat?host=/run/postgresql&ssl=true&application_name=x")
    dump = pg_dump_command(url, Path("a b.dump"))
    assert dump.argv[2:4] == ["--file=a b.dump", "--host=/run/postgresql"]
    assert dump.env == {"PGSSLMODE": "require"}
    assert dump.left_out == ["application_name"]
    assert dump.shown.startswith("pg_dump --format=custom '--file=a b.dump' ")
