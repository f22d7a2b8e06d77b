"""Normalisation of text as officials type it (bot/text.py).

`clean` makes input canonical and display-safe, `fold` gives the matching form
(no diacritics, đ→d, lower case), `untelex` converts words typed with the Telex
keyboard switched off, and `looks_like_telex` decides when to try it.
"""

from __future__ import annotations

import unicodedata

import pytest

from bot.core.text import clean, fold, looks_like_telex, untelex

NFC = unicodedata.normalize("NFC", "Sở Nội vụ chủ trì nhiệm vụ 2.4, hạn quý II/2023")
NFD = unicodedata.normalize("NFD", NFC)


# --------------------------------------------------------------------------- fold


def test_nfc_and_nfd_input_fold_the_same() -> None:
    assert NFC != NFD  # the two inputs really are different code point sequences
    assert fold(NFC) == fold(NFD) == "so noi vu chu tri nhiem vu 2.4, han quy ii/2023"


def test_clean_turns_nfd_into_nfc() -> None:
    assert clean(NFD) == NFC


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("hoá", "hóa"), ("uỷ", "ủy"), ("thuỷ", "thủy"), ("Văn hoá", "Văn hóa"), ("Uỷ ban", "Ủy ban")],
)
def test_old_and_new_tone_placement_fold_equal(old_style: str, new_style: str) -> None:
    assert old_style != new_style
    assert fold(old_style) == fold(new_style)


def test_d_bar_folds_to_d_in_both_cases() -> None:
    assert fold("Đầu tư") == "dau tu"
    assert fold("đối ngoại") == "doi ngoai"
    assert fold("SKHĐT") == "skhdt"


def test_fold_is_lower_case_and_single_spaced() -> None:
    assert fold("  Sở   NỘI\tVỤ \n") == "so noi vu"


def test_missing_marks_match_full_marks() -> None:
    assert fold("Sở Tài chính") == fold("so tai chinh") == fold("SO TAI CHINH")


# --------------------------------------------------------------------------- clean


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_zero_width_characters_are_removed_inside_words(invisible: str) -> None:
    assert clean(f"N{invisible}ội vụ") == "Nội vụ"
    assert fold(clean(f"S{invisible}ở Nội vụ")) == "so noi vu"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\u0085"])
def test_control_characters_are_removed(control: str) -> None:
    out = clean(f"Sở{control}Nội vụ")
    assert control not in out
    assert out == "Sở Nội vụ"


def test_clean_keeps_no_control_or_format_character() -> None:
    noisy = "\ufeff\u200bnhiệm\x00 vụ\u200d 2.4\x07\r\n"
    out = clean(noisy)
    assert out == "nhiệm vụ 2.4"
    assert all(unicodedata.category(ch)[0] != "C" for ch in out)


def test_html_tags_are_stripped() -> None:
    assert clean("<b>Sở Nội vụ</b> phải làm gì?") == "Sở Nội vụ phải làm gì?"
    out = clean("<script>alert(1)</script> nhiệm vụ 2.4")
    assert "<" not in out and ">" not in out
    assert "nhiệm vụ 2.4" in out


def test_escaped_html_is_unescaped_then_stripped() -> None:
    out = clean("&lt;b&gt;kiều bào&lt;/b&gt; &amp; ODA")
    assert out == "kiều bào & ODA"


def test_a_lone_angle_bracket_is_not_a_tag() -> None:
    assert clean("tỷ lệ < 50% và > 10%") == "tỷ lệ < 50% và > 10%"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sở Nội vụ phải làm gì???", "Sở Nội vụ phải làm gì?"),
        ("xong rồi!!!!", "xong rồi!"),
        ("2.4.....", "2.4."),
        ("ODA,,,, kiều bào", "ODA, kiều bào"),
        ("quá hạn ~~~ ---", "quá hạn ~ -"),
    ],
)
def test_repeated_punctuation_is_collapsed(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_collapses_spaces_and_trims() -> None:
    assert clean("   nhiệm   vụ \t\t 2.4   ") == "nhiệm vụ 2.4"


def test_clean_of_empty_input_is_empty() -> None:
    assert clean("") == ""
    assert clean("\u200b\u200c\ufeff") == ""


# --------------------------------------------------------------------------- Telex


@pytest.mark.parametrize(("typed", "expected"), [("sowr nooij vuj", "sở nội vụ"), ("hanj", "hạn")])
def test_untelex_converts_telex_words(typed: str, expected: str) -> None:
    assert untelex(typed) == expected


@pytest.mark.parametrize(
    ("typed", "folded"),
    [("tieen ddooj", "tien do"), ("tieen ddooj nhieemj vuj", "tien do nhiem vu")],
)
def test_untelex_tien_do_folds_to_tien_do(typed: str, folded: str) -> None:
    out = untelex(typed)
    assert out != typed
    assert fold(out) == folded


def test_untelex_output_is_nfc() -> None:
    out = untelex("sowr nooij vuj")
    assert out == unicodedata.normalize("NFC", out)


@pytest.mark.parametrize(
    "plain",
    [
        "so noi vu",
        "nhiệm vụ 2.4",
        "Sở Nội vụ phải làm gì",
        "ODA",
        "viec nao qua han",
        "hoi huu nghi",
        "ubnd huyen tuy phong",
    ],
)
def test_untelex_leaves_plain_words_untouched(plain: str) -> None:
    assert untelex(plain) == plain


def test_untelex_converts_only_the_telex_words_of_a_mixed_message() -> None:
    assert untelex("sowr nooij vuj 2.4") == "sở nội vụ 2.4"


@pytest.mark.parametrize(
    "text", ["sowr nooij vuj", "sowr nooij vuj lamf gif", "tieen ddooj nhieemj vuj 2.4"]
)
def test_looks_like_telex_for_telex_messages(text: str) -> None:
    assert looks_like_telex(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sở Nội vụ phải làm gì?",
        "nhiệm vụ 2.4 hạn khi nào",
        "Việc nào quá hạn?",
        "so noi vu lam gi",
        "viec nao sap den han",
        "so tai chinh phoi hop viec gi",
        "tien do nhiem vu 2.4 the nao",
        "ubnd huyen tuy phong co nhiem vu gi",
        "ODA",
        "",
    ],
)
def test_looks_like_telex_false_for_normal_vietnamese(text: str) -> None:
    assert not looks_like_telex(text)
