"""A reading depends on the text and the loaded plan only, so `Understander` keeps the
readings of recent texts: a repeated text is read once, the reading is frozen (readers
cannot change what the next one gets), and the memo stays bounded."""

from __future__ import annotations

import dataclasses

import pytest

from bot.nlu import understanding
from bot.nlu.understanding import Understander
from bot.plan.loader import Knowledge


def test_a_repeated_text_gets_the_same_reading(knowledge: Knowledge) -> None:
    understander = Understander(knowledge)
    first = understander.understand("Sở Nội vụ phải làm gì?")
    assert understander.understand("Sở Nội vụ phải làm gì?") is first
    fresh = Understander(knowledge).understand("Sở Nội vụ phải làm gì?")
    assert fresh == first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.intent = "unknown"  # type: ignore[misc]


def test_the_memo_keeps_only_the_latest_texts(
    knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(understanding, "MEMO_SIZE", 2)
    understander = Understander(knowledge)
    first = understander.understand("nhiệm vụ 2.4")
    understander.understand("hạn quý 2")
    assert understander.understand("nhiệm vụ 2.4") is first  # used again: kept
    understander.understand("Sở Y tế phải làm gì")  # the oldest, «hạn quý 2», goes
    assert understander.understand("nhiệm vụ 2.4") is first
    assert len(understander._memo) == 2


def test_the_follow_up_cues_of_a_kept_reading_are_kept(knowledge: Knowledge) -> None:
    from bot.nlu.followups import FollowUpReader

    understander = Understander(knowledge)
    reader = FollowUpReader.load(understander.folder, understander.lexicon)
    u = understander.understand("còn Sở Tài chính thì sao?")
    cues = reader.read(u)
    assert cues.opener and cues.closer
    assert reader.read(understander.understand("còn Sở Tài chính thì sao?")) is cues
    other = dataclasses.replace(u, tokens=["them"])  # another reading of the same text
    assert reader.read(other) == reader._read(other)
    assert reader.read(u) == cues
