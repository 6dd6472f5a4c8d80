"""Training configs for one pipeline run: a recipe from configs/train/ with the run's sizes.

The pipeline never edits the recipes: it reads one, overrides a few values (steps, tasks, the
model for the wiring test) and writes the result into the run's folder
(`OUT/configs/NAME.toml`), which the `toolmaster train` commands then read. The file records
exactly what was trained.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from toolmaster.cli._repro._pipeline import PipelineError

__all__ = ["derive_config", "dumps_toml", "merge"]


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` on top; tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in overrides.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = merge(cast(Mapping[str, Any], current), cast(Mapping[str, Any], value))
        else:
            out[key] = value
    return out


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} has no TOML form here")
        return repr(value)
    if isinstance(value, list):
        items = cast(list[Any], value)
        return "[" + ", ".join(_value(v, where) for v in items) + "]"
    raise ValueError(f"{where}: cannot write {type(value).__name__} values")


def dumps_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """TOML text for nested tables of strings, numbers, booleans and lists of those."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            tables.append((name, cast(Mapping[str, Any], value)))
        else:
            lines.append(f"{key} = {_value(value, name)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for name, table in tables:
        text += f"\n[{name}]\n" + dumps_toml(table, name).lstrip("\n")
    return text


def derive_config(recipe: Path, overrides: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """Write `recipe` with `overrides` to `out`; the resulting values (they fingerprint the
    stage that trains with them)."""
    try:
        base = tomllib.loads(recipe.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PipelineError(f"cannot read the recipe {recipe}: {exc}") from exc
    data = merge(base, overrides)
    text = f"# Written by `toolmaster repro` from {recipe} with this run's sizes; do not edit.\n"
    text += dumps_toml(data)
    if tomllib.loads(text) != data:
        raise PipelineError(f"{recipe}: the derived config does not read back as written")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    return data
