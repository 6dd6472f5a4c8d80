"""Every Python snippet in the docs runs, and the README's commands are real recipes."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang == language]


@pytest.mark.parametrize("doc", ["docs/agent.md"])
def test_python_snippets_run(doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snippets = blocks(ROOT / doc, "python")
    assert snippets
    for snippet in snippets:
        code = compile(snippet, doc, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace: dict[str, object] = {}
        result = eval(code, namespace)
        if inspect.iscoroutine(result):
            anyio.run(lambda coro=result: coro)


def test_readme_commands_are_just_recipes() -> None:
    commands = [
        line.split("#")[0].split()
        for block in blocks(ROOT / "README.md", "bash")
        for line in block.splitlines()
        if line.strip().startswith("just ")
    ]
    assert [c[:2] for c in commands] == [["just", "demo"], ["just", "test"]]
    listed = subprocess.run(
        ["just", "--summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    ).stdout.split()
    assert {"demo", "test"} <= set(listed)
