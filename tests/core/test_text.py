"""`terminal_safe`: nothing a terminal acts on survives, and readable text is unchanged."""

from __future__ import annotations

import pytest
from toolmaster.core import terminal_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2Jcleared", "␛[2Jcleared"),
        ("\x1b]0;title\x07", "␛]0;title␇"),
        ("\x1b]52;c;aGVsbG8=\x07", "␛]52;c;aGVsbG8=␇"),
        ("\x9b31m", "�31m"),
        ("del\x7f", "del␡"),
        ("over\rwrite", "overwrite"),
        ("line\r\nnext", "line\nnext"),
    ],
)
def test_control_characters_become_inert(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_text_newlines_tabs_and_unicode_are_kept() -> None:
    text = "a\tb\nc [/] é ☂ 東京"
    assert terminal_safe(text) == text


def test_no_control_character_is_left() -> None:
    every = "".join(chr(code) for code in range(0x100))
    left = {c for c in terminal_safe(every) if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0}
    assert left == {"\n", "\t"}


def test_lone_surrogates_become_replacement_characters() -> None:
    assert terminal_safe("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert terminal_safe("a\ud800b").encode() == "a\ufffdb".encode()
