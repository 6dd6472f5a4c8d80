"""The one saver of cached model folders (the embedded model's copy, train's random models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.agent import save_model_once


def test_a_model_folder_is_built_once_and_moved_into_place(tmp_path: Path) -> None:
    built: list[Path] = []

    def build(out: Path) -> None:
        built.append(out)
        (out / "weights").write_text("w")

    target = tmp_path / "models" / "m"
    assert save_model_once(target, build, note="test model") == target
    assert save_model_once(target, build, note="test model") == target
    assert len(built) == 1 and built[0] != target
    assert (target / "weights").read_text() == "w"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["m"]  # no staging left


def test_an_interrupted_copy_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "m"
    target.mkdir()
    (target / "half-written").write_text("")
    save_model_once(target, lambda out: (out / "weights").write_text("w"), note="n")
    assert sorted(p.name for p in target.iterdir()) == ["toolmaster-complete", "weights"]


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def build(out: Path) -> None:
        (out / "weights").write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_model_once(tmp_path / "m", build, note="n")
    assert list(tmp_path.iterdir()) == []
