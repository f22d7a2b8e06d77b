"""Grade `ask --json`-shaped answers against a case file, in-process.

The rules mirror shared/eval/grade.py (the project's answer contract), so the
case sets in tests/ run inside pytest without a subprocess per message.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml


def fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s or "")
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    s = s.replace("đ", "d").replace("Đ", "D")
    return re.sub(r"\s+", " ", s).strip().lower()


def norm_id(t: object) -> str:
    s = str(t).strip()
    s = re.sub(r"^(II\.|ii\.)(?=\d)", "", s)
    s = re.sub(r"[a-z]$", "", s)
    return re.sub(r"^iii", "III", s, flags=re.I)


def load_cases(path: Path) -> tuple[list[dict[str, Any]], list[str], str]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return spec["cases"], spec.get("G", []), spec.get("defaults", {}).get("today", "2026-11-26")


def message_of(case: dict[str, Any]) -> str:
    q = str(case["q"])
    if case.get("nfd"):
        q = unicodedata.normalize("NFD", q)
    return q.replace("\n", " ")


def grade(case: dict[str, Any], out: dict[str, Any], general: list[str]) -> list[str]:
    """Reasons a case failed (empty when it passed)."""
    why = []
    intents = case["intent"] if isinstance(case["intent"], list) else [case["intent"]]
    if out.get("intent") not in intents:
        why.append(f"intent {out.get('intent')!r} not in {intents}")
    if "agency" in case and fold(case["agency"]) not in fold(out.get("agency") or ""):
        why.append(f"agency {out.get('agency')!r} lacks {case['agency']!r}")
    if "req" in case:
        got = {norm_id(t) for t in (out.get("task_ids") or [])}
        req = set(case["req"])
        ok = req | set(case.get("opt", []))
        if out.get("intent") == "agency_tasks" and not case.get("noG"):
            ok |= set(general)
        if req - got:
            why.append(f"missing tasks {sorted(req - got)}")
        if len(got - ok) > case.get("extra", 0):
            why.append(f"extra tasks {sorted(got - ok)}")
    if "status" in case and out.get("status") != case["status"]:
        why.append(f"status {out.get('status')!r} != {case['status']!r}")
    if "percent" in case and out.get("percent") != case["percent"]:
        why.append(f"percent {out.get('percent')!r} != {case['percent']!r}")
    for sub in case.get("reply", []):
        if fold(sub) not in fold(out.get("reply") or ""):
            why.append(f"reply lacks {sub!r}")
    for sub in case.get("noreply", []):
        if fold(sub) in fold(out.get("reply") or ""):
            why.append(f"reply holds {sub!r}")
    if "inh" in case:
        got = {norm_id(t) for t in (out.get("inherited_task_ids") or [])}
        if set(case["inh"]) - got:
            why.append(f"missing inherited tasks {sorted(set(case['inh']) - got)}")
    reply = out.get("reply") or ""
    if "first" in case:
        head = fold(reply.strip().split("\n", 1)[0])
        if fold(case["first"]) not in head:
            why.append(f"first line lacks {case['first']!r}")
    visible = html.unescape(re.sub(r"<[^>]+>", "", reply))
    if "maxlen" in case and len(visible) > case["maxlen"]:
        why.append(f"reply shows {len(visible)} characters > {case['maxlen']}")
    return why
