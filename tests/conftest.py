"""Shared test setup: no test may reach the network beyond this machine.

A guard patches `socket.socket.connect`/`connect_ex` and `socket.getaddrinfo` so
that any host other than loopback (127.0.0.0/8, ::1, localhost) raises at once
and fails the test that tried it, even if the caller swallowed the error. Also
fixtures for the Telegram tests: a bot token, settings that never read the
developer's `.env`, the loaded plan, and a scripted brain with known replies.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi

from bot.core.config import Settings
from bot.core.reply import Button, Reply, esc
from bot.plan.loader import Knowledge, load_knowledge
from bot.progress.types import Asker

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "knowledge" / "plan.yaml"
TOKEN = "123456789:AAHfakeTokenForTests-xyz_0123456789abcd"

# ---------------------------------------------------------------- network guard

_blocked: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(OSError):
    """A test tried to reach a host that is not this machine."""


def is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").lower()
    if name in ("", "localhost") or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _refuse(what: str) -> None:
    _blocked.append(what)
    raise NetworkBlocked(f"tests must not reach the network: {what}")


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        _refuse(f"connect {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        _refuse(f"connect_ex {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        _refuse(f"getaddrinfo {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Fail the test that tried to reach the network, even if the error was swallowed."""
    start = len(_blocked)
    yield
    attempts = _blocked[start:]
    if attempts:
        pytest.fail("network access outside loopback: " + "; ".join(attempts), pytrace=False)


# ---------------------------------------------------------------- Telegram fixtures


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
async def api(token: str) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API, serving on loopback for the test (files may define their own)."""
    async with FakeBotApi(token) as server:
        yield server


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings from explicit values only (never the developer's .env or webhook)."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "plan_path": PLAN,
            "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
            "admin_ids": frozenset({900001}),
            "timezone": "Asia/Ho_Chi_Minh",
            "telegram_api_url": "http://127.0.0.1:9/bot",
            "webhook_url": None,
            "webhook_secret": None,
            "log_level": "INFO",
            "heartbeat_path": None,
            "brain_process": False,  # answers in the test's process unless a test says so
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge(PLAN)


LONG_LINES = 150


def long_html() -> str:
    """About 10,000 characters of HTML with tags and entities on every line."""
    return "\n".join(
        f"<b>Dòng {i}</b>: Sở Nội vụ &amp; Sở Tài chính phối hợp — {'nội dung ' * 6}"
        for i in range(LONG_LINES)
    )


class ScriptedBrain:
    """A brain double with known replies; records what it was asked.

    "dài…" → a reply of about 10,000 characters; "danh sách…" → item buttons;
    "gợi ý…" → suggestion buttons (a stored question and a `v1:q:` one);
    "lỗi…" → raises; anything else → "Đã nhận: <b>{text}</b>".
    """

    def __init__(self, knowledge: Knowledge | None = None):
        self.knowledge = knowledge
        self.calls: list[tuple[str, Asker | None]] = []

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.calls]

    def more(self, chat: str, key: str | None = None) -> Reply | None:
        return None

    def answer(
        self,
        text: str,
        *,
        today: date,
        asker: Asker | None = None,
        chat: str | None = None,
        fresh: bool = False,
        plan: str | None = None,
    ) -> Reply:
        self.calls.append((text, asker))
        if text.startswith("dài"):
            return Reply("long", long_html(), buttons=[[Button("Xem 2.4", "v1:item:2.4")]])
        if text.startswith("danh sách"):
            buttons = [[Button("Xem 2.4", "v1:item:2.4"), Button("Xem III.1", "v1:item:III.1")]]
            return Reply("agency_tasks", "<b>Sở Nội vụ</b>: mục 2.4, III.1", buttons=buttons)
        if text.startswith("gợi ý"):
            buttons = [
                [Button("Sở Nội vụ phải làm gì?", "Sở Nội vụ phải làm gì?")],
                [Button("Hạn quý II/2023", "v1:q:han quy ii/2023")],
            ]
            return Reply("clarify", "Ý anh/chị là:", buttons=buttons)
        if text.startswith("lỗi"):
            raise RuntimeError("brain failure for the test")
        return Reply("echo", f"Đã nhận: <b>{esc(text)}</b>")


@pytest.fixture
def derived_rows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every `derive_row` call a ProgressView makes from now on (the costly step that
    warming up at start-up must take out of the first questions)."""
    import bot.progress.view as progress_view

    calls: list[tuple[Any, ...]] = []
    real = progress_view.derive_row

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(progress_view, "derive_row", counting)
    return calls


@pytest.fixture
def scripted_brain(knowledge: Knowledge) -> ScriptedBrain:
    return ScriptedBrain(knowledge)
