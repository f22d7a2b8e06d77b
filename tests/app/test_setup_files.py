"""The files a new user copies or builds from: nothing secret or personal ships, nothing
secret or heavy reaches the Docker daemon, and the answer contract is in the clone."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from bot.core.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key] = value
    return pairs


def test_the_env_example_makes_nobody_an_admin() -> None:
    example = _env_example()
    assert example["ADMIN_IDS"] == ""
    assert example["TELEGRAM_BOT_TOKEN"] == ""
    assert load_settings(admin_ids=example["ADMIN_IDS"]).admin_ids == frozenset()


def test_the_paths_the_env_example_leaves_empty_mean_their_defaults() -> None:
    """`PLANS_DIR=`, `HEARTBEAT_PATH=` and `BRAIN_PROCESS=` as .env.example has them:
    not the folder «.», and the machine decides (not a refusal to start)."""
    example = _env_example()
    assert example["PLANS_DIR"] == "" and example["HEARTBEAT_PATH"] == ""
    assert example["BRAIN_PROCESS"] == ""
    settings = load_settings(
        plans_dir=example["PLANS_DIR"],
        heartbeat_path=example["HEARTBEAT_PATH"],
        brain_process=example["BRAIN_PROCESS"],
    )
    assert settings.plans_dir is None and settings.heartbeat_path is None
    assert settings.brain_process is None


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        core = pattern[1:] if negate else pattern
        core = core.removeprefix("**/")
        parts = path.split("/")
        if any(fnmatch.fnmatch("/".join(parts[: i + 1]), core) for i in range(len(parts))) or any(
            fnmatch.fnmatch(p, core) for p in parts
        ):
            ignored = not negate
    return ignored


def test_docker_builds_see_no_secret_and_no_local_environment() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    for path in (
        ".env",
        ".venv/bin/python",
        "data/planbot.db",
        ".git/config",
        "bot/__pycache__/x.pyc",
    ):
        assert _ignored(path, patterns), path
    for path in ("bot/brain.py", "knowledge/plan.yaml", "intents/registry.yaml", "pyproject.toml"):
        assert not _ignored(path, patterns), path


def test_the_answer_contract_is_in_the_clone() -> None:
    contract = (ROOT / "docs" / "ask-contract.md").read_text(encoding="utf-8")
    assert "inherited_task_ids" in contract and "smalltalk" in contract
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ask-contract.md" in readme and "../shared/eval/README.md" not in readme
