"""`Notes`, what a scripted teacher learnt about each tool during its trial: the text of its
`finish_trial` call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Notes:
    """Lines of experience per tool, kept in the order the tools were first noted."""

    unique: bool = False
    """Drop a line already noted for the same tool."""
    by_tool: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    def __contains__(self, tool: object) -> bool:
        """Whether anything was noted about `tool`."""
        return tool in self.by_tool

    def add(self, tool: str, line: str) -> None:
        """Note `line` about `tool`."""
        lines = self.by_tool.setdefault(tool, [])
        if not (self.unique and line in lines):
            lines.append(line)

    def render(
        self,
        heading: str | None = None,
        *,
        bullet: str = "",
        joiner: str = " ",
        order: Sequence[str] = (),
    ) -> str:
        """One `<bullet><tool>: <lines joined by joiner>` line per tool, under `heading` when
        given; tools named in `order` come first, in that order."""
        rank = {tool: i for i, tool in enumerate(order)}
        tools = sorted(self.by_tool, key=lambda tool: rank.get(tool, len(rank)))
        body = "\n".join(f"{bullet}{tool}: " + joiner.join(self.by_tool[tool]) for tool in tools)
        return body if heading is None else f"{heading}\n{body}"
