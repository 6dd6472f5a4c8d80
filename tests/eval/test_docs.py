"""docs/eval.md is true: its Python runs, its task file parses, its spec file validates, its
tag example is an EvalTag."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from toolmaster.eval._runner import EvalConfig
from toolmaster.eval._tags import EvalTag
from toolmaster.eval._taskfile import parse_tasks

DOC = Path(__file__).resolve().parents[2] / "docs" / "eval.md"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC.read_text()) if lang == language]


def test_the_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (snippet,) = blocks("python")
    exec(compile(snippet, str(DOC), "exec"), {})
    assert (tmp_path / "eval.db").is_file()


def test_the_task_file_example_parses() -> None:
    task_file, tag = blocks("json")
    oslo, warm = parse_tasks(task_file.splitlines(), "docs")
    assert oslo.id == "oslo"
    assert warm.expected["answer"] == {
        "contains": None, "regex": None, "number": 21.5, "tolerance": 0.5,
        "case_sensitive": False,
    }  # fmt: skip
    EvalTag.model_validate(json.loads(tag)["eval"])


def test_the_spec_file_example_validates() -> None:
    (spec,) = blocks("toml")
    config = EvalConfig.model_validate(tomllib.loads(spec))
    assert config.run == "weekly"
    assert [s.name for s in config.suites] == ["in-domain", "mine"]
    assert config.budgets.max_trial_calls == 6
