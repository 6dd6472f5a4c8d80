"""Text that came from outside (tool results and names, model output) made safe to show on a
terminal."""

from __future__ import annotations

_INERT: dict[int, int | None] = {
    **{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\n\t\r"},
    0x0D: None,
    0x7F: 0x2421,
    **dict.fromkeys(range(0x80, 0xA0), 0xFFFD),
    **dict.fromkeys(range(0xD800, 0xE000), 0xFFFD),
}


def terminal_safe(text: str) -> str:
    """`text` with no character a terminal acts on, other than newline and tab.

    C0 control characters become their Unicode control pictures (ESC shows as `␛`, so an escape
    sequence prints as text instead of clearing the screen, setting the window title or writing
    the clipboard), DEL becomes `␡`, C1 control characters and lone surrogates (which no
    terminal encoding can write) become `�`, and carriage returns are dropped (a `\\r\\n`
    line end stays a line end; a lone `\\r` cannot overwrite a line).
    """
    return text.translate(_INERT)
