"""Running `python -m bot run` (and `ask`) as a real child process, and reading its output."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import PLAN, ROOT, TOKEN


def bot_env(api_url: str, home: Path, db: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a `python -m bot run` child: the fake Bot API at
    `api_url`, the plan, the database file `db`, INFO logs, polling; `extra` adds or
    overrides variables (LOG_LEVEL, ADMIN_IDS, HEARTBEAT_PATH…)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "PYTHONIOENCODING": "utf-8",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "LOG_LEVEL": "INFO",
        "PLAN_PATH": str(PLAN),
        "DATABASE_URL": f"sqlite:///{db}",
        "WEBHOOK_URL": "",
        **extra,
    }


async def spawn_bot_run(
    cwd: Path, env: dict[str, str], *, stderr: int = asyncio.subprocess.STDOUT
) -> asyncio.subprocess.Process:
    """`python -m bot run` in `cwd` with exactly `env`; stdout piped, stderr merged into
    it unless told otherwise (`asyncio.subprocess.PIPE` keeps the two apart)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )


async def read_until(stream: asyncio.StreamReader, marker: str, lines: list[str]) -> None:
    """Append the stream's lines to `lines` up to and including the first holding
    `marker`; AssertionError, with all read so far, when the stream ends first."""
    while True:
        raw = await stream.readline()
        if not raw:
            raise AssertionError(f"process ended before «{marker}»:\n{''.join(lines)}")
        lines.append(raw.decode("utf-8", "replace"))
        if marker in lines[-1]:
            return


def ask_json(messages: list[str], db: Path, *, today: str) -> list[dict[str, Any]]:
    """`python -m bot ask --json --today <today>` on `messages` (one a line on stdin),
    with the plan, the database file `db` (read, never written) and nothing else of the
    developer's configuration: the JSON object it prints for each message, in order."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(db.parent)),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "PYTHONIOENCODING": "utf-8",
        "PLAN_PATH": str(PLAN),
        "DATABASE_URL": f"sqlite:///{db}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--today", today],
        cwd=ROOT,
        env=env,
        input="\n".join(messages) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(messages), done.stdout
    return out
