"""kiosk.catalog.search: folding Vietnamese for search, and LIKE patterns that take wildcards literally."""
import unicodedata

import pytest

from kiosk.catalog.search import fold, like_pattern


@pytest.mark.parametrize("text, folded", [
    ("Cà phê", "ca phe"),
    ("CÀ PHÊ", "ca phe"),
    ("Đắk Lắk", "dak lak"),
    ("đường", "duong"),
    ("Mật ong hoa cà phê", "mat ong hoa ca phe"),
    ("Krông Pắc", "krong pac"),
    ("Ê Đê", "e de"),
    ("Sô-cô-la đen 70%", "so-co-la den 70%"),
    ("Ea H'leo", "ea h'leo"),
    ("CF-BM-CHON", "cf-bm-chon"),
    ("Rượu cần Buôn Jun", "ruou can buon jun"),
    ("ỳỷỹỵý", "yyyyy"),
    ("", ""),
])
def test_fold_drops_case_tones_and_marks(text, folded):
    assert fold(text) == folded


def test_composed_and_decomposed_input_fold_alike():
    for text in ("Cà phê Buôn Ma Thuột", "Đắk Lắk", "Mật ong"):
        assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text)) == fold(text)


@pytest.mark.parametrize("text, pattern", [
    ("ca phe", "%ca phe%"),
    ("  CÀ   PHÊ ", "%ca phe%"),
    ("70%", "%70\\%%"),
    ("a_b", "%a\\_b%"),
    ("a\\b", "%a\\\\b%"),
    ("a\x00b", "%ab%"),
])
def test_like_pattern_escapes_wildcards(text, pattern):
    assert like_pattern(text) == pattern
