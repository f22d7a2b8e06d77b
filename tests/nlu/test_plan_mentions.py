"""Which plan a message names (`bot.nlu.plans.PlanMentions`), among Kế hoạch 91/KH-UBND
(đối ngoại nhân dân) and Kế hoạch 58/KH-UBND (chuyển đổi số, cải cách hành chính)."""

from __future__ import annotations

from pathlib import Path

import pytest
from two_plans import two_plan_folder

from bot.nlu.plans import PlanMentions
from bot.plan.library import load_library


@pytest.fixture(scope="module")
def mentions(tmp_path_factory: pytest.TempPathFactory) -> PlanMentions:
    folder: Path = two_plan_folder(tmp_path_factory.mktemp("plans"))
    return PlanMentions(load_library(folder))


@pytest.mark.parametrize(
    ("text", "key", "rest"),
    [
        ("Kế hoạch 58 Sở Nội vụ làm gì?", "58", "Sở Nội vụ làm gì?"),
        ("SNV phải làm gì trong KH 91/KH-UBND?", "91", "SNV phải làm gì?"),
        ("theo ke hoach so 91 thi so tai chinh lam gi", "91", "so tai chinh lam gi"),
        ("kh58 sở y tế có việc gì", "58", "sở y tế có việc gì"),
        ("91/KH-UBND do ai ký", "91", "do ai ký"),
        ("kế hoạch số 58/KH-UBND có bao nhiêu mục", "58", "có bao nhiêu mục"),
        ("kế hoạch chuyển đổi số Sở Nội vụ làm gì", "58", "Sở Nội vụ làm gì"),
        ("kế hoạch về cải cách hành chính, Sở Tư pháp chủ trì gì", "58", "Sở Tư pháp chủ trì gì"),
        ("kế hoạch đối ngoại nhân dân sở nội vụ", "91", "sở nội vụ"),
        ("58: 7 hạn khi nào?", "58", "mục 7 hạn khi nào?"),
        ("/capnhat 58: 7 xong", "58", "/capnhat 7 xong"),
        ("mục 58#4 ai chủ trì", "58", "mục 4 ai chủ trì"),
    ],
)
def test_a_plan_named_is_found_and_taken_out(
    mentions: PlanMentions, text: str, key: str, rest: str
) -> None:
    found = mentions.find(text)
    assert found is not None, text
    assert (found.key, found.rest) == (key, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Sở Nội vụ phải làm gì?",
        "kế hoạch này do ai ký?",
        "kế hoạch có bao nhiêu mục",
        "mục 5.8 hạn khi nào",
        "việc nào hạn trước 15/12",
        "kế hoạch 2024 có gì",  # a year, not a plan number
        "KH 12/KH-UBND",  # a plan not served
        "58 xã đã báo cáo chưa",
        "nhiệm vụ 2.4: đã xong 60%",
        "kế hoạch triển khai năm nay",  # words every plan's title has
    ],
)
def test_no_plan_is_read_into_a_message_that_names_none(mentions: PlanMentions, text: str) -> None:
    assert mentions.find(text) is None


def test_a_plan_named_in_decomposed_unicode_is_found(mentions: PlanMentions) -> None:
    import unicodedata

    found = mentions.find(unicodedata.normalize("NFD", "Kế hoạch 58 Sở Nội vụ làm gì?"))
    assert found is not None and (found.key, found.rest) == ("58", "Sở Nội vụ làm gì?")


def test_an_execution_item_qualified_with_its_plan_is_found(mentions: PlanMentions) -> None:
    """Plans number their «Tổ chức thực hiện» III, IV or V: «58: III.2», «58#V.1»."""
    for text, rest in (("58: III.2 ai chủ trì", "mục III.2 ai chủ trì"), ("mục 58#V.1", "mục V.1")):
        found = mentions.find(text)
        assert found is not None and (found.key, found.rest) == ("58", rest), text


def test_spaces_around_a_mention_do_not_shift_it(mentions: PlanMentions) -> None:
    found = mentions.find("  Kế hoạch 58 Sở Nội vụ làm gì?")  # leading spaces only
    assert found is not None and (found.key, found.rest) == ("58", "Sở Nội vụ làm gì?")
