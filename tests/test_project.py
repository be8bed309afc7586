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
        JWT_SIGNING_KEY="j" * 20 + "-Yw3#kP9!aQ5@zN1$rT6^mB8&dG2*hL4",
        FIELD_ENCRYPTION_KEYS="f" * 20 + "-Xv4#hP2!bQ8@mN3$sT7^kB1&cG5*jL6",
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


def test_production_refuses_to_start_without_a_jwt_signing_key(tmp_path):
    env = child_environment(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY="s" * 50,
        SECRETS_DIR=str(tmp_path),
    )
    env.pop("JWT_SIGNING_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set" in result.stderr
    assert not any(tmp_path.iterdir())


def test_production_refuses_to_start_without_field_encryption_keys(tmp_path):
    env = child_environment(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY="s" * 50,
        JWT_SIGNING_KEY="j" * 50,
        SECRETS_DIR=str(tmp_path),
    )
    env.pop("FIELD_ENCRYPTION_KEYS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr
    assert not any(tmp_path.iterdir())


def signing_keys(secrets_dir) -> tuple[str, str]:
    env = child_environment(
        DJANGO_SETTINGS_MODULE="config.settings.dev", SECRETS_DIR=str(secrets_dir)
    )
    env.pop("SECRET_KEY", None)
    env.pop("JWT_SIGNING_KEY", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SECRET_KEY); print(settings.SIMPLE_JWT['SIGNING_KEY'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    secret_key, jwt_key = result.stdout.strip().splitlines()[-2:]
    return secret_key, jwt_key


def test_each_installation_signs_tokens_with_its_own_generated_key(tmp_path):
    first = signing_keys(tmp_path / "one")
    again = signing_keys(tmp_path / "one")
    other = signing_keys(tmp_path / "two")

    assert first == again  # kept across restarts
    assert first[1] != other[1]  # never shared between installations
    assert first[0] != first[1]  # tokens have their own key
    assert len(first[1]) >= 50
    assert oct((tmp_path / "one" / "jwt_signing_key").stat().st_mode)[-3:] == "600"


def test_no_signing_key_is_written_in_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    committed = "\n".join(
        (ROOT / name).read_text(errors="ignore")
        for name in tracked
        if name.endswith((".py", ".yml", ".yaml", "Makefile", "Dockerfile", "Procfile", ".toml"))
        and not name.startswith("tests/")
    )

    assert "SECRET_KEY:" not in committed  # no key in the compose environment
    assert "insecure-key" not in committed
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/secrets/jwt_signing_key"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings():
    result = run_manage("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")

    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.django_db
def test_no_model_changes_lack_a_migration():
    result = run_manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("debug", "expected"), [(None, "False"), ("1", "True")])
def test_development_settings_serve_like_production_unless_debug_is_asked_for(debug, expected):
    env = child_environment(DJANGO_SETTINGS_MODULE="config.settings.dev")
    env.pop("DEBUG", None)
    if debug is not None:
        env["DEBUG"] = debug
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr[-2000:]
