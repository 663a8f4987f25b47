"""Every text the code and templates mark for translation has its Vietnamese, neither fuzzy nor empty."""
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
VI = ROOT / "kiosk" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def marked_texts(package: str = "kiosk") -> set[str]:
    """The msgids `pybabel extract -F babel-<app>.cfg -k _l` finds for one app (its code and templates, and
    for the kiosk the helpers it shares from central_sync.protocol)."""
    with open(ROOT / f"babel-{package.split('_')[0]}.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT), method_map, options_map, keywords=keywords)}


def test_every_marked_text_has_a_vietnamese_translation():
    assert_translated(marked_texts("kiosk"), VI)


def assert_translated(texts: set[str], vi_po: Path) -> None:
    with open(vi_po, "rb") as po:
        catalogue = read_po(po)
    missing = sorted(texts - {message.id if isinstance(message.id, str) else message.id[0]
                                       for message in catalogue if message.id})
    assert not missing, f"not in {vi_po}: re-extract and translate {missing}"
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    empty = [message.id for message in catalogue
             if message.id and not all(message.string if isinstance(message.string, tuple) else [message.string])]
    assert not fuzzy and not empty, {"fuzzy": fuzzy, "empty": empty}
