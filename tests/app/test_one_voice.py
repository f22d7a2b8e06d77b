"""One voice (issue 16): the bot addresses the user as «anh/chị» everywhere, never «bạn».

Every string literal under `bot/` (constants, f-string parts, docstrings excepted) is
scanned for «bạn» as a pronoun; «bạn bè» (friends) and «tỉnh bạn», «nước bạn» (a
partner province or country, the plan's wording) are not the pronoun.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
PRONOUN = re.compile(r"(?<![\w])(?<!tỉnh )(?<!nước )bạn(?![\w])(?! bè)", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes (a module's, a class's, a function's)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _user_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


def test_the_pattern_finds_the_pronoun_only() -> None:
    assert PRONOUN.search("Yêu cầu của bạn đã được duyệt")
    assert PRONOUN.search("Bạn chưa đăng ký cơ quan.")
    assert not PRONOUN.search("bạn bè quốc tế")
    assert not PRONOUN.search("hợp tác với tỉnh bạn")
    assert not PRONOUN.search("Anh/chị chưa đăng ký cơ quan.")


def test_no_user_facing_string_under_bot_says_ban() -> None:
    found = [
        f"{path.relative_to(BOT.parent)}:{line}: {text!r}"
        for path in sorted(BOT.rglob("*.py"))
        for line, text in _user_strings(path)
        if PRONOUN.search(text)
    ]
    assert found == [], "\n".join(found)
