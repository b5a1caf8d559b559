"""The `fuhua` command as a user runs it (a real process): help and systems never touch a database.

Each test runs in an empty folder with FUHUA_DATABASE_URL pointing at a file there, so a database
created by mistake shows up as that file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FUHUA = str(Path(sys.executable).parent / "fuhua")


def _run(tmp_path: Path, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUHUA_", "LC_", "LANG", "FLASK_"))}
    env.update(LANG=lang, FUHUA_DATABASE_URL=f"sqlite:///{tmp_path / 'fuhua.sqlite'}")
    return subprocess.run([FUHUA, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args", [["--help"], ["systems", "--help"], ["systems", "list"], ["systems", "check"],
                                  ["demo", "--help"], ["users", "create", "--help"], ["--version"]])
def test_help_version_and_systems_never_open_a_database(tmp_path: Path, args: list[str]) -> None:
    result = _run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == [], "a database was created"
    assert "alembic" not in result.stdout + result.stderr


def test_help_shows_fuhuas_commands_and_version_not_flasks_development_ones(tmp_path: Path) -> None:
    shown = _run(tmp_path, "--help").stdout
    commands = {line.split()[0] for line in shown.split("Commands:")[1].splitlines() if line.strip()}
    assert {"assess", "demo", "export", "quickstart", "reports", "systems", "users", "db"} <= commands
    assert not commands & {"routes", "shell", "limiter"}
    assert "Flask" not in shown and "--app" not in shown and "--env-file" not in shown
    from registry import __version__

    assert _run(tmp_path, "--version").stdout.strip() == f"Fuhua {__version__}"
    db_help = _run(tmp_path, "db", "--help").stdout
    assert "upgrade" in db_help and not {"init", "migrate", "revision", "downgrade"} & {
        line.split()[0] for line in db_help.split("Commands:")[1].splitlines() if line.strip()}


def test_a_command_that_needs_the_database_says_where_it_creates_it(tmp_path: Path) -> None:
    result = _run(tmp_path, "users", "list")
    assert result.returncode == 0, result.stderr
    assert f"正在新建数据库：{tmp_path / 'fuhua.sqlite'}" in result.stderr
    assert "INFO" not in result.stderr
    assert (tmp_path / "fuhua.sqlite").exists()
    again = _run(tmp_path, "users", "list", lang="en_US.UTF-8")
    assert "database" not in again.stderr  # an existing database is opened without a word
    assert _run(tmp_path, "db", "upgrade").returncode == 0  # still available for deployments


def test_messages_follow_the_shells_language(tmp_path: Path) -> None:
    zh = _run(tmp_path, "users", "create", "--role", "institution", "--username", "x1", "--institution", "123",
              "--password-stdin")
    en = _run(tmp_path, "users", "create", "--role", "institution", "--username", "x1", "--institution", "123",
              "--password-stdin", lang="en_US.UTF-8")
    assert zh.returncode != 0 and "应填写机构的统一社会信用代码" in zh.stderr
    assert en.returncode != 0 and "takes the institution's unified social credit code" in en.stderr


def test_quickstart_without_serving_does_not_claim_to_serve(tmp_path: Path) -> None:
    result = _run(tmp_path, "quickstart", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "http://" not in result.stdout and "已启动" not in result.stdout
    assert "数据库和演示数据已就绪" in result.stdout and str(tmp_path / "fuhua.sqlite") in result.stdout + result.stderr
