"""Every text central's code and templates mark for translation has its Vietnamese, neither fuzzy nor empty."""
from tests.kiosk.test_translations import ROOT, assert_translated, marked_texts

VI = ROOT / "central_sync" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def test_every_marked_text_of_central_has_a_vietnamese_translation():
    texts = marked_texts("central_sync")
    assert "Central office" in texts and "Sell" not in texts  # central's own texts, not the kiosk's
    assert_translated(texts, VI)
