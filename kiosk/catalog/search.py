"""Folding Vietnamese text for search: case and diacritics ignored (`ca phe` finds `Cà phê`)."""
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """Tones and marks removed, đ written d, case kept: `Đắk Lắk` -> `Dak Lak`."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    return strip_diacritics(text).casefold()


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped (ESCAPE '\\').

    NUL characters are dropped: SQLite would end the pattern at the first one."""
    escaped = fold(text).replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{' '.join(escaped.split())}%"
