"""Settings: how a suite's tools are served to the policy.

`clean` serves the servers as they are. The others put a `toolmaster.mcp.PerturbationProxy`
in front of every server, with the perturbation kinds of the setting and the run's seed, so
the tools are unfamiliar while every call still reaches the real tool:

| setting | kinds | what the policy sees |
|---|---|---|
| `clean` | none | the tools as they are |
| `renamed` | `rename_tool`, `rename_param` | new tool and parameter names |
| `paraphrased` | `paraphrase` | reworded descriptions |
| `stripped` | `strip` | no descriptions or titles at all |
| `misleading` | `misleading` | plausible but false hints in the documentation |
| `evolved` | `drift` | v1 -> v2: changed signatures and output shapes |

`evolved` serves an environment's own v2 where it has one (the calendar environment serves
v1 and v2 natively): every task is moved to v2 and no proxy is used. Other servers drift
through the proxy.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field
from toolmaster.core import Record, UserError
from toolmaster.mcp import PerturbationKind


class Setting(Record):
    """One way of serving a suite's tools."""

    name: str = Field(min_length=1)
    kinds: tuple[PerturbationKind, ...] = ()
    """Perturbation kinds for the proxy; none: no proxy."""
    native_version: str | None = None
    """A tool-surface version to serve natively where an environment has it, instead of the
    proxy (`evolved`: `v2`)."""
    description: str = ""

    @property
    def perturbed(self) -> bool:
        """Whether the setting changes the tools at all."""
        return bool(self.kinds) or self.native_version is not None


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(name="clean", description="the tools as the servers list them"),
        Setting(
            name="renamed",
            kinds=("rename_tool", "rename_param"),
            description="new tool and parameter names",
        ),
        Setting(name="paraphrased", kinds=("paraphrase",), description="reworded descriptions"),
        Setting(name="stripped", kinds=("strip",), description="no descriptions or titles"),
        Setting(
            name="misleading",
            kinds=("misleading",),
            description="plausible but false hints in the documentation",
        ),
        Setting(
            name="evolved",
            kinds=("drift",),
            native_version="v2",
            description="v1 -> v2: changed signatures and output shapes (native v2 where an "
            "environment has one)",
        ),
    )
}
"""The named settings, in report order."""


def parse_settings(names: str | Iterable[str]) -> list[Setting]:
    """Settings from names (a comma-separated string or a list; `all` for every one), in the
    order of `SETTINGS`. Raises `UserError` for an unknown name or an empty list."""
    raw = names.split(",") if isinstance(names, str) else list(names)
    chosen: set[str] = set()
    for item in raw:
        name = item.strip()
        if not name:
            continue
        if name == "all":
            chosen.update(SETTINGS)
        elif name in SETTINGS:
            chosen.add(name)
        else:
            known = ", ".join(["all", *SETTINGS])
            raise UserError(f"unknown setting {name!r}; known settings: {known}")
    if not chosen:
        raise UserError("no setting given")
    return [setting for name, setting in SETTINGS.items() if name in chosen]
