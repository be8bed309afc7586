"""Project-level promises: production settings pass the deploy check, the schema is clean."""

import subprocess
import sys

import pytest

from tests.live import ROOT, child_environment


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY="k" * 20 + "-Zq8#vP2!xR7@mL4$wT9^bN6&cH3*fJ1",
        ALLOWED_HOSTS="cmms.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.prod", SECRET_KEY="")
    env_without = child_environment(DJANGO_SETTINGS_MODULE="config.settings.prod")
    env_without.pop("SECRET_KEY", None)
    missing = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env_without,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert missing.returncode != 0
    assert "SECRET_KEY must be set" in missing.stderr
    assert result.returncode != 0


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings():
    result = run_manage("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")

    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.django_db
def test_no_model_changes_lack_a_migration():
    result = run_manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout
