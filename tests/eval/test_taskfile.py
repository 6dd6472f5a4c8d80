"""Task-file suites: the format, its errors line by line, the verifier spec, and a run over a
user's server (a bundled one named in an mcpServers file), clean and renamed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from toolmaster.core import Store, UserError
from toolmaster.eval._runner import EvalConfig, EvalPolicy
from toolmaster.eval._suites import TaskFileSuite
from toolmaster.eval._tags import run_episodes
from toolmaster.eval._taskfile import MadeCall, load_tasks, parse_tasks, verify

from tests.eval.common import PositionalPolicy, run

GOOD = [
    (
        '{"id": "oslo", "prompt": "Find Oslo", "expect": {"answer": {"contains": ["oslo"]}, '
        '"calls": [{"tool": "find_city", "arguments": {"query": "Oslo"}}]}}'
    ),
    "",
    "# a comment",
    '{"prompt": "How warm?", "expect": {"answer": {"number": 21.5, "tolerance": 0.5}}}',
]


def test_a_task_file_gives_tasks_with_their_spec() -> None:
    oslo, warm = parse_tasks(GOOD, "mine")
    assert (oslo.id, oslo.env, oslo.split) == ("oslo", "mine", "tasks")
    assert warm.id == "line-4"
    assert oslo.expected["calls"] == [
        {"tool": "find_city", "arguments": {"query": "Oslo"}, "server": None, "phase": "execute"}
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('{"expect": {"answer": {"contains": "x"}}}', "line 2: prompt: Field required"),
        ('{"prompt": "p", "expect": {}}', "line 2: expect: Value error, expect needs"),
        ('{"prompt": "p", "expect": {"answer": {}}}', "answer needs at least one of"),
        ('{"prompt": "p", "expect": {"answer": {"regex": "("}}}', "does not compile"),
        ('{"prompt": "p", "expect": {"answer": {"contains": "x"}}, "colour": 1}', "colour"),
        ('{"id": "oslo", "prompt": "p", "expect": {"answer": {"contains": "x"}}}', "used twice"),
        ('{"prompt": "p", "expect": {"calls": [{"tool": "t", "phase": "later"}]}}', "phase"),
    ],
)
def test_a_bad_line_is_a_user_error_that_names_it(line: str, message: str) -> None:
    with pytest.raises(UserError, match=r"^tasks\.jsonl: line 2: ") as info:
        parse_tasks([GOOD[0], line], "mine", source="tasks.jsonl")
    assert message in str(info.value)


def test_empty_and_missing_task_files_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no tasks"):
        parse_tasks(["", "# nothing"], "mine")
    with pytest.raises(UserError, match="cannot read task file"):
        load_tasks(tmp_path / "missing.jsonl", "mine")


def made(
    tool: str, phase: str = "execute", *, failed: bool = False, **arguments: object
) -> MadeCall:
    return MadeCall.model_validate(
        {"tool": tool, "server": "w", "arguments": arguments, "phase": phase, "failed": failed}
    )


def test_the_verifier_scores_each_check() -> None:
    oslo, warm = parse_tasks(GOOD, "mine")
    good = verify(oslo, "Found OSLO.", [made("find_city", query="Oslo", limit=3)])
    assert (good.passed, good.score) == (True, 1.0)
    half = verify(oslo, "Found it.", [made("find_city", query="Oslo")])
    assert (half.passed, half.score) == (False, 0.5)
    assert half.reasons == ["missing: answer contains 'oslo'", 'ok: called find_city(query="Oslo")']
    assert verify(oslo, "oslo", [made("find_city", failed=True, query="Oslo")]).score == 0.5
    assert verify(oslo, "oslo", [made("find_city", "trial", query="Oslo")]).score == 0.5
    assert verify(oslo, "oslo", [made("find_city", query="Bergen")]).score == 0.5
    assert verify(warm, "It will be 21.8 °C", []).passed
    assert verify(warm, "About 1,021.5", []).passed is False
    assert verify(warm, None, []).passed is False


def write_suite(tmp_path: Path, servers: str) -> TaskFileSuite:
    (tmp_path / "mcp.json").write_text(servers)
    (tmp_path / "tasks.jsonl").write_text(GOOD[0] + "\n")
    return TaskFileSuite(name="mine", servers=tmp_path / "mcp.json", tasks=tmp_path / "tasks.jsonl")


def positional(env: object, mode: object, sample: int):
    return lambda task: PositionalPolicy(0, "Oslo", "Oslo is there.")


def test_a_task_file_suite_runs_over_a_users_server_clean_and_renamed(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, '{"mcpServers": {"w": {"env": "weather"}}}')
    config = EvalConfig(run="t", suites=[suite], settings=["clean", "renamed"], modes=["direct"])
    with Store(tmp_path / "s.db") as store:
        run(config, [EvalPolicy("positional", positional)], store)
        stored = {tag.setting: episode for tag, episode in run_episodes(store, ["t"])}
    assert stored["renamed"].messages[2].tool_calls[0].tool != "find_city"
    for episode in stored.values():
        assert episode.verdict is not None
        assert episode.verdict.passed, episode.verdict.reasons


@pytest.mark.e2e
def test_a_task_file_suite_runs_over_a_stdio_server(tmp_path: Path) -> None:
    command = {"command": sys.executable, "args": ["-m", "toolmaster.envs.weather"]}
    suite = write_suite(tmp_path, json.dumps({"mcpServers": {"w": command}}))
    config = EvalConfig(run="t", suites=[suite], settings=["renamed"], modes=["direct"])
    with Store(tmp_path / "s.db") as store:
        (episode,) = run(config, [EvalPolicy("positional", positional)], store).episodes
    assert episode.servers[0].transport == "stdio"
    assert episode.verdict is not None
    assert episode.verdict.passed, episode.verdict.reasons
