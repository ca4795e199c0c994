from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigie.cli import app


@pytest.fixture
def env(vigie_settings, monkeypatch) -> dict[str, str]:
    values = {
        "VIGIE_DATABASE_URL": vigie_settings.resolved_database_url,
        "VIGIE_DATA_DIR": str(vigie_settings.data_dir),
        "VIGIE_ENVIRONMENT": "test",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def test_cli_help_everywhere():
    for args in ([], ["db"], ["catalogue"], ["import"], ["apikey"], ["user"], ["serve"], ["demo"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Usage" in result.output


def test_cli_apikey_prints_key_alone_on_last_line(env, vigie):
    result = run("apikey", "create", "--name", "fixmystreet")
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("vk_") and " " not in key
    from vigie.accounts.actions import check_api_key

    assert check_api_key(vigie.db, key).name == "fixmystreet"


def test_cli_apikey_lists_and_revokes_a_key(env, vigie):
    key = run("apikey", "create", "--name", "fixmystreet").stdout.strip().splitlines()[-1]
    listed = run("apikey", "list")
    assert listed.exit_code == 0
    key_id, name, prefix, _, state = listed.stdout.strip().split("\t")
    assert (name, prefix, state) == ("fixmystreet", key[:8] + "…", "active") and key not in listed.stdout
    assert run("apikey", "revoke", key_id).exit_code == 0
    assert "revoked" in run("apikey", "list").stdout
    again = run("apikey", "revoke", key_id)
    assert again.exit_code != 0 and "already revoked" in again.output
    assert run("apikey", "revoke", "999999").exit_code != 0
    from vigie.accounts.actions import check_api_key
    from vigie.errors import Forbidden

    with pytest.raises(Forbidden):
        check_api_key(vigie.db, key)


def test_cli_user_add_reads_password_from_stdin(env, vigie):
    result = run(
        "user",
        "add",
        "Chef@Example.org",
        "--role",
        "supervisor",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    from vigie.accounts.actions import authenticate

    assert authenticate(vigie.db, "chef@example.org", "a long enough password").role.value == "supervisor"
    again = run(
        "user",
        "add",
        "chef@example.org",
        "--role",
        "supervisor",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert again.exit_code == 1 and "already exists" in again.output
    bad = run(
        "user",
        "add",
        "x@example.org",
        "--role",
        "mayor",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert bad.exit_code == 1 and "unknown role 'mayor'" in bad.output


def test_cli_catalogue_validate_reports_line_and_field(tmp_path: Path):
    good = run("catalogue", "validate", "src/vigie/city/profiles/dijon/catalogue.yaml")
    assert good.exit_code == 0 and "valid" in good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups: []\nservices: []\nteams: []\nprocedures: []\n", encoding="utf-8")
    result = run("catalogue", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1: groups: [] should be non-empty" in result.output
    assert f"4 problems in {bad}" in result.output


def test_cli_catalogue_validate_names_city_yaml_for_its_problems(tmp_path: Path):
    city = tmp_path / "city.yaml"
    source = Path("src/vigie/city/profiles/washingtondc")
    text = (source / "city.yaml").read_text(encoding="utf-8").replace("America/New_York", "Mars/Olympus")
    city.write_text(text, encoding="utf-8")
    (tmp_path / "zones.geojson").write_text((source / "zones.geojson").read_text(encoding="utf-8"))
    catalogue = source / "catalogue.yaml"
    result = run("catalogue", "validate", str(catalogue), "--city", str(city))
    assert result.exit_code == 1
    assert f"1 problem in {city}" in result.output
    assert "catalogue.yaml" not in result.output


@pytest.mark.slow
def test_cli_demo_is_idempotent(env, vigie):
    from sqlalchemy import func, select

    from vigie.accounts.storage import UserRow
    from vigie.demo import DEMO_ACCOUNTS
    from vigie.reports.storage import ReportRow

    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "operateur@demo.vigie.example" in first.output
    with vigie.db.session() as s:
        counts = (
            s.scalar(select(func.count()).select_from(ReportRow)),
            s.scalar(select(func.count()).select_from(UserRow)),
        )
    assert counts[0] >= 2000 and counts[1] == len(DEMO_ACCOUNTS)  # one per role
    second = run("demo")
    assert second.exit_code == 0 and "0 created" in second.output
    with vigie.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(ReportRow)),
            s.scalar(select(func.count()).select_from(UserRow)),
        ) == counts


def test_cli_demo_refused_in_production(env, monkeypatch):
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "production")
    monkeypatch.setenv("VIGIE_SECRET_KEY", "a-private-secret-of-some-length")
    result = run("demo")
    assert result.exit_code == 1 and "cannot be loaded in production" in result.output


def test_cli_settings_refuse_default_secret_in_production(monkeypatch):
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "production")
    monkeypatch.delenv("VIGIE_SECRET_KEY", raising=False)
    result = run("db", "upgrade")
    assert result.exit_code == 1 and "VIGIE_SECRET_KEY" in result.output


def test_cli_backup_then_restore_into_an_empty_installation(env, vigie, tmp_path: Path, monkeypatch):
    from tests.reports.helpers import submit_report

    submit_report(vigie)
    result = run("backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert "backup written to" in result.stdout and "rows" in result.stdout

    again = run("backup", str(tmp_path / "b"))  # never over an earlier backup
    assert again.exit_code == 1 and "not empty" in again.output

    # Into this same, non-empty installation: refused, named.
    refused = run("restore", str(tmp_path / "b"))
    assert refused.exit_code == 1 and "not empty" in refused.output

    monkeypatch.setenv("VIGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'vigie.db'}")
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path / "new"))
    restored = run("restore", str(tmp_path / "b"))
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.stdout

    missing = run("restore", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "not a Vigie backup" in missing.output


def test_cli_user_disable_and_set_password_revoke_every_login(env, vigie, make_agent):
    from vigie.accounts.actions import agent_for_token, authenticate, do_create_login

    agent = make_agent("operator")
    token, _ = do_create_login(vigie.db, agent, "bearer", 1)
    done = run("user", "disable", agent.email)
    assert done.exit_code == 0 and "sessions and tokens revoked: 1" in done.stdout
    assert agent_for_token(vigie.db, token, "bearer") is None
    assert run("user", "enable", agent.email).exit_code == 0
    token, _ = do_create_login(vigie.db, agent, "bearer", 1)
    done = run("user", "set-password", agent.email, "--password-stdin", input="a-brand-new-password\n")
    assert done.exit_code == 0, done.output
    assert agent_for_token(vigie.db, token, "bearer") is None
    assert authenticate(vigie.db, agent.email, "a-brand-new-password").id == agent.id
    unknown = run("user", "disable", "nobody@agents.example")
    assert unknown.exit_code == 1 and "no account" in unknown.output
