"""docker-compose.yml as an operator deploys it: valid for compose itself, a healthcheck on
every long-running service, no password written in the file, the secrets and the relay
required from the environment, the desk mounted, the demo only in the `demo` profile; and
a Dockerfile that installs the pinned dependencies before it copies the source.

Compose needs no engine to validate a file: `docker compose config` (the plugin) or
Debian's `docker-compose`, which tests/services.sh installs for `make test` when root."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
# What an operator's .env provides (see .env.example); distinctive values to look for.
ENV = {"MSGROUTER_SECRET_KEY": "s3cret-key-for-the-compose-test", "POSTGRES_PASSWORD": "pg-pass-for-the-compose-test",
       "MSGROUTER_RELAY_HOST": "relay.example.com", "MSGROUTER_MAIL_FROM": "support@example.com",
       "MSGROUTER_MAIL_DOMAIN": "example.com", "MSGROUTER_DESK_FILE": str(ROOT / "config" / "desk.toml")}


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    """Runs compose on our file with the given variables (and no .env of the checkout)."""
    command = _compose_command()
    no_env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    no_env_file.write_text("")
    if command is None:
        reason = "neither `docker compose` nor `docker-compose` is installed (tests/services.sh installs it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI runs `make test` as root, so it must be there", pytrace=False)
        pytest.skip(reason)

    def run(*args: str, env: dict[str, str] = ENV) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("MSGROUTER_", "POSTGRES_", "COMPOSE_"))}
        return subprocess.run([*command, "--project-directory", str(ROOT), "--env-file", str(no_env_file),
                               "-f", str(COMPOSE), *args], env={**clean, **env}, capture_output=True, text=True,
                              timeout=60, cwd=ROOT)

    return run


@pytest.fixture(scope="module")
def rendered(compose) -> dict:
    done = compose("--profile", "demo", "config")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_accepts_the_file(compose):
    done = compose("config", "--quiet")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("variable", ["MSGROUTER_SECRET_KEY", "POSTGRES_PASSWORD", "MSGROUTER_RELAY_HOST",
                                      "MSGROUTER_DESK_FILE"])
def test_compose_refuses_to_start_without_a_required_variable(compose, variable):
    done = compose("config", "--quiet", env={k: v for k, v in ENV.items() if k != variable})
    assert done.returncode != 0
    assert variable in done.stderr


def test_every_long_running_service_has_a_healthcheck(rendered):
    services = rendered["services"]
    # A one-shot job (it runs, exits, and others wait for it to complete) has no health.
    jobs = {name for name, s in services.items() for dep, how in s.get("depends_on", {}).items()
            if how.get("condition") == "service_completed_successfully" for name in [dep]}
    assert jobs == {"migrate"} and services["migrate"]["restart"] == "no"
    missing = [name for name, s in services.items() if name not in jobs and not s.get("healthcheck", {}).get("test")]
    assert not missing, f"services without a healthcheck: {missing}"


def test_no_password_is_written_in_the_file():
    raw = COMPOSE.read_text(encoding="utf-8")
    # Every value of a key naming a password or secret is read from the environment.
    for key, value in re.findall(r"^\s*-?\s*([A-Z_]*(?:PASSWORD|SECRET)[A-Z_]*)\s*[:=]\s*(.+?)\s*$", raw, re.M):
        assert re.fullmatch(r"\$\{[A-Z_]+(:?[-?][^}]*)?\}", value.strip("'\"")), f"{key}: {value}"
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", raw), "a URL with a password in it"


def test_the_password_reaches_only_the_variables_that_carry_it(rendered):
    for name, service in rendered["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if ENV["POSTGRES_PASSWORD"] in str(value):
                assert key in ("POSTGRES_PASSWORD", "PGPASSWORD"), f"{name}: {key}"
    assert rendered["services"]["web"]["environment"]["PGPASSWORD"] == ENV["POSTGRES_PASSWORD"]


def test_the_desk_is_mounted_and_the_demo_is_a_profile(rendered):
    services = rendered["services"]
    for name in ("migrate", "web", "smtp", "worker", "beat"):
        assert services[name]["environment"]["MSGROUTER_DESK_CONFIG"] == "/etc/msgrouter/desk.toml"
        mounts = [str(v) for v in services[name].get("volumes", [])]
        assert any("/etc/msgrouter/desk.toml" in m and ENV["MSGROUTER_DESK_FILE"] in m for m in mounts), mounts
        assert services[name]["environment"]["MSGROUTER_RELAY_HOST"] == ENV["MSGROUTER_RELAY_HOST"]
    sink = services["mailsink"]
    assert sink["profiles"] == ["demo"]
    assert sink["command"][:1] == ["sink"] and "pip" not in " ".join(sink["command"])


def test_the_image_installs_pinned_dependencies_before_the_source():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    install = next(i for i, line in enumerate(lines) if "requirements/constraints.txt" in line and "-c" in line)
    first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY router"))
    assert install < first_source
    assert (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").count("==") > 20


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "error")])   # error: in its fixture
def test_without_compose_the_test_skips_and_fails_in_ci(ci, outcome, tmp_path):
    # PATH without docker or docker-compose, as on a machine that has neither.
    import sys

    env = {**os.environ, "PATH": str(tmp_path), "CI": ci}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                           f"{__file__}::test_compose_accepts_the_file"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert f"1 {outcome}" in done.stdout, done.stdout[-2000:]
    assert "neither `docker compose` nor `docker-compose` is installed" in done.stdout
