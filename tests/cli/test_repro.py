"""The reproduction pipelines (`toolmaster repro mini|paper`): every command they issue is one
the `toolmaster` CLI accepts, flags included; stages run once, resume and redo as documented; and
(e2e) the quick mini pipeline runs end to end with the tiny random model and the reference
teachers."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from toolmaster.cli._app import app
from toolmaster.cli._repro._arms import ARMS
from toolmaster.cli._repro._configs import derive_config
from toolmaster.cli._repro._mini import PROFILES, ProfileName
from toolmaster.cli._repro._pipeline import Call, Command, PipelineError, Stage, run_pipeline
from toolmaster.train import TrainConfig
from typer.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = re.compile(r"^[A-Z_]+=")


def _parse_cli(args: tuple[str, ...]) -> Any:
    """Parse `toolmaster ARGS` with the real command tree, down to the leaf command, without
    running anything: unknown flags, bad values and missing arguments raise usage errors."""
    command: Any = typer.main.get_command(app)
    ctx: Any = command.context_class(command, info_name="toolmaster")
    rest = list(args)
    while hasattr(command, "get_command"):  # a group: the next word names a sub-command
        name, rest = rest[0], rest[1:]
        sub: Any = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r} in {args}"
        command = sub
        if hasattr(command, "get_command"):
            ctx = command.context_class(command, info_name=name, parent=ctx)
        else:
            return command.make_context(name, rest, parent=ctx)
    raise AssertionError(f"{args} names no command")


def _repro(argv: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """`toolmaster repro ARGV` in `cwd`, through the root command."""
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, ["repro", *argv])


def _planned(result: Result) -> list[tuple[str, ...]]:
    """The `toolmaster ...` commands a dry run printed, as argv (an env prefix dropped)."""
    assert result.exit_code == 0, result.output
    tools: list[tuple[str, ...]] = []
    for line in result.stdout.splitlines():
        if not line.startswith("   ") or line.strip().startswith("(in process)"):
            continue
        words = shlex.split(line)
        while words and ENV_PREFIX.match(words[0]):
            words.pop(0)
        if words[0] == "toolmaster":
            tools.append(tuple(words[1:]))
    return tools


def _dry_run(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> list[tuple[str, ...]]:
    return _planned(_repro([*argv, "--out", str(tmp_path / "run"), "--dry-run"], ROOT, monkeypatch))


@pytest.mark.parametrize(
    "argv",
    [
        ["mini"],
        ["mini", "--quick"],
        ["mini", "--quick", "--model", "tiny-random", "--eval-policy", "reference"],
        ["mini", "--eval-tasks-per-env", "2", "--sft-steps", "3", "--threads", "1"],
        ["mini", "--max-turns", "12", "--max-trial-calls", "5"],
        ["mini", "--profile", "quick", "--synth-tasks-per-env", "1", "--grpo-steps", "1",
         "--grpo-completion", "64", "--eval-limit", "2", "--redo", "grpo", "--redo", "synth"],
        ["paper"],
        ["paper", "--teacher-url", "http://127.0.0.1:9/v1", "--teacher-model", "teacher",
         "--teacher-key-env", "TEACHER_KEY", "--gpus", "4", "--results", "elsewhere"],
    ],
)  # fmt: skip
def test_every_command_parses_with_the_cli(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tools = _dry_run(argv, monkeypatch, tmp_path)
    # synth, two SFTs, GRPO, five evaluations and the report
    assert len(tools) == 10
    for tool in tools:
        ctx = _parse_cli(tool)
        expected = tool[1] if tool[0] in ("train", "eval") else tool[0]
        assert ctx.command.name == expected, (ctx.command.name, tool)
        if ctx.command.name in ("sft", "grpo"):  # the derived config is a real, valid file
            TrainConfig.load(ctx.params["config"])


UsageError: type[Exception] = typer.BadParameter.__mro__[1]
"""typer's (vendored) click UsageError: an unknown flag, a bad value, a missing argument."""


def test_a_wrong_flag_would_be_caught() -> None:
    with pytest.raises(UsageError, match="no-such-flag"):
        _parse_cli(("eval", "run", "--no-such-flag", "1"))
    with pytest.raises(typer.BadParameter):
        _parse_cli(("synth", "--samples", "many"))
    with pytest.raises(UsageError, match=r"CONFIG|config"):
        _parse_cli(("train", "sft"))


def test_profiles_are_the_choices() -> None:
    assert set(PROFILES) == set(get_args(ProfileName))


def test_default_folders_and_arms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without --out and --results: runs/repro-mini/PROFILE and docs/results/mini (mini-check
    for --quick), relative to where the command runs."""
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    quick = _repro(["mini", "--quick", "--dry-run"], tmp_path, monkeypatch)
    assert "run folder runs/repro-mini/quick" in quick.stdout
    report = _planned(quick)[-1]
    assert report[:2] == ("eval", "report")
    assert "--out docs/results/mini-check --store runs/repro-mini/quick/eval.db" in " ".join(report)
    full = _repro(["mini", "--eval-tasks-per-env", "2", "--dry-run"], tmp_path, monkeypatch)
    assert "run folder runs/repro-mini/default" in full.stdout
    tools = _planned(full)
    assert "--out docs/results/mini " in " ".join(tools[-1])
    evals = [" ".join(t) for t in tools if t[:2] == ("eval", "run")]
    assert all("--tasks-per-env 2" in e and "--limit" not in e for e in evals)
    assert [a.mode for a in ARMS] == ["direct", "trial", "direct", "trial", "trial"]
    modes = [t[t.index("--mode") + 1] for t in tools if t[:2] == ("eval", "run")]
    assert modes == [a.mode for a in ARMS]


def test_turn_budgets_reach_evaluations_and_grpo_rollouts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    argv = ["mini", "--max-turns", "12", "--max-trial-calls", "5", "--grpo-completion", "1024"]
    tools = _dry_run(argv, monkeypatch, tmp_path)
    evals = [" ".join(t) for t in tools if t[:2] == ("eval", "run")]
    assert len(evals) == len(ARMS)
    for command in evals:
        assert "--max-turns 12" in command and "--max-trial-calls 5" in command
    grpo = next(t for t in tools if t[:2] == ("train", "grpo"))
    config = TrainConfig.load(grpo[2])
    assert (config.grpo.max_turns, config.grpo.max_trial_calls) == (12, 5)
    assert config.grpo.trl["max_completion_length"] == 1024


def test_threads_reach_every_stage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = _repro(
        ["mini", "--threads", "1", "--out", str(tmp_path / "run"), "--dry-run"], ROOT, monkeypatch
    )
    commands = [line for line in result.stdout.splitlines() if "toolmaster " in line]
    assert len(commands) == 10
    assert all(line.strip().startswith("OMP_NUM_THREADS=1 toolmaster ") for line in commands)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["mini", "--sft-steps", "0"], "--sft-steps"),
        (["mini", "--threads", "0"], "--threads"),
        (["mini", "--profile", "huge"], "--profile"),
        (["mini", "--model", "gpt"], "--model"),
        (["mini", "--eval-policy", "openai"], "--eval-policy"),
        (["paper", "--gpus", "0"], "--gpus"),
        (["paper", "--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_options_are_usage_errors(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = _repro([*argv, "--out", str(tmp_path / "run"), "--dry-run"], ROOT, monkeypatch)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["paper"], "error: repro-paper needs --teacher-url URL and --teacher-model NAME"),
        (["paper", "--gpus", "1", "--dry-run"], "error: repro-paper needs 2 GPUs or more"),
        (["mini", "--redo", "nope", "--dry-run"], "error: --redo: no stage ['nope']"),
    ],
)
def test_a_plan_that_cannot_run_is_one_error_line(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = _repro([*argv, "--out", str(tmp_path / "run")], ROOT, monkeypatch)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert "stages ran" not in result.stdout


def test_derived_config_keeps_the_recipe_and_applies_sizes(tmp_path: Path) -> None:
    recipe = ROOT / "configs/train/mini-trial.toml"
    values = derive_config(
        recipe, {"sft": {"trl": {"max_steps": 3}}, "model": {"name_or_path": "tiny-random"}},
        tmp_path / "c.toml",
    )  # fmt: skip
    loaded = TrainConfig.load(tmp_path / "c.toml")
    assert loaded.sft.trl["max_steps"] == 3 == values["sft"]["trl"]["max_steps"]
    assert loaded.model.name_or_path == "tiny-random"
    recipe_values = tomllib.loads(recipe.read_text())
    untouched = recipe_values["sft"]["trl"]["learning_rate"]
    assert loaded.sft.trl["learning_rate"] == untouched  # values the sizes leave alone stay
    assert loaded.data.require_trial and loaded.grpo.mode == "trial"
    with pytest.raises(PipelineError, match="cannot read the recipe"):
        derive_config(tmp_path / "missing.toml", {}, tmp_path / "d.toml")


def _writer(path: Path, text: str = "x") -> Command:
    """A real subprocess that writes `text` to `path` and appends its own argv to a log."""
    code = (
        "import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.parent.mkdir(parents=True, "
        "exist_ok=True); p.write_text(sys.argv[2]); "
        "log = p.parent / 'argv.log'; log.write_text((log.read_text() if log.exists() else '') "
        "+ ' '.join(sys.argv[1:]) + '\\n')"
    )
    return Command((sys.executable, "-c", code, str(path), text), resume_flag="--resume")


def _stages(out: Path, train_text: str = "model-1") -> list[Stage]:
    calls: list[str] = []
    return [
        Stage("data", [_writer(out / "data" / "rows")], output=out / "data" / "rows"),
        Stage("train", [_writer(out / "train" / "final", train_text)], after=("data",),
              output=out / "train" / "final", resume_dir=out / "train", digest_output=True,
              inputs={"text": train_text}),
        Stage("eval", lambda ctx: [_writer(out / "eval" / f"run-{ctx.digest('train')[:6]}")],
              after=("train",)),
        Stage("report", [Call("note", lambda: calls.append("report"))], after=("eval",)),
    ]  # fmt: skip


def test_stages_run_once_then_skip(tmp_path: Path) -> None:
    first = run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    assert [o.status for o in first] == ["ran"] * 4
    again = run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    assert [o.status for o in again] == ["skipped"] * 4
    record = json.loads((tmp_path / "stages" / "train.json").read_text())
    assert record["wall_s"] >= 0 and record["steps"][0].endswith("model-1")


def test_a_missing_output_reruns_its_stage(tmp_path: Path) -> None:
    run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    (tmp_path / "data" / "rows").unlink()
    outcomes = run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    assert [o.status for o in outcomes] == ["ran", "skipped", "skipped", "skipped"]


def test_changed_training_inputs_need_redo_and_redo_cascades(tmp_path: Path) -> None:
    run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    old_eval = {p.name for p in (tmp_path / "eval").iterdir()}
    with pytest.raises(PipelineError, match="--redo train"):
        run_pipeline(_stages(tmp_path, "model-2"), tmp_path, log=lambda _: None)
    outcomes = run_pipeline(
        _stages(tmp_path, "model-2"), tmp_path, redo=["train"], log=lambda _: None
    )
    assert [o.status for o in outcomes] == ["skipped", "ran", "ran", "ran"]
    assert (tmp_path / "train" / "final").read_text() == "model-2"
    # the retrained model has a new digest, so its evaluation is a new run, not the old one
    new_eval = {p.name for p in (tmp_path / "eval").iterdir()} - old_eval
    assert len([n for n in new_eval if n.startswith("run-")]) == 1


def test_a_checkpoint_gives_the_resume_flag(tmp_path: Path) -> None:
    (tmp_path / "train" / "checkpoint-3").mkdir(parents=True)
    run_pipeline(_stages(tmp_path), tmp_path, log=lambda _: None)
    argv = (tmp_path / "train" / "argv.log").read_text().split()
    assert argv[-1] == "--resume"
    assert "--resume" not in (tmp_path / "data" / "argv.log").read_text()


def test_a_failing_step_stops_the_pipeline_and_records_nothing(tmp_path: Path) -> None:
    failing = Command((sys.executable, "-c", "raise SystemExit(3)"))
    stages = [Stage("data", [failing]), Stage("train", [_writer(tmp_path / "t")], after=("data",))]
    with pytest.raises(PipelineError, match="exit code 3"):
        run_pipeline(stages, tmp_path, log=lambda _: None)
    assert not (tmp_path / "stages" / "data.json").exists()
    assert not (tmp_path / "t").exists()


def test_bad_plans_are_refused(tmp_path: Path) -> None:
    late = [Stage("b", [], after=("a",)), Stage("a", [])]
    with pytest.raises(PipelineError, match="do not come before"):
        run_pipeline(late, tmp_path, log=lambda _: None)
    with pytest.raises(PipelineError, match="--redo: no stage"):
        run_pipeline([Stage("a", [])], tmp_path, redo=["zzz"], log=lambda _: None)
    outside = [Stage("a", [], resume_dir=tmp_path.parent / "elsewhere")]
    with pytest.raises(PipelineError, match="outside"):
        run_pipeline(outside, tmp_path / "run", log=lambda _: None)


@pytest.mark.e2e
def test_quick_mini_pipeline_end_to_end(tmp_path: Path) -> None:
    """The real stages with the tiny random model (SFT, GRPO) and the reference teachers in
    every arm's evaluation; a second invocation skips every stage."""
    out, results = tmp_path / "run", tmp_path / "results"
    argv = [sys.executable, "-m", "toolmaster.cli", "repro", "mini", "--quick",
            "--model", "tiny-random", "--eval-policy", "reference",
            "--out", str(out), "--results", str(results)]  # fmt: skip
    first = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for name in ("report.md", "report.json", "pass_rate.png", "arms.md", "pipeline.json"):
        assert (results / name).is_file(), name
    for arm in ("sft-direct", "sft-trial", "grpo"):
        assert (out / arm / "final" / "provenance.json").is_file()
    pipeline = json.loads((results / "pipeline.json").read_text())
    assert set(pipeline["runs"]) == {a.name for a in ARMS}
    arms = json.loads((results / "arms.json").read_text())
    settings = {g["setting"] for g in arms["by_setting"]}
    assert settings == {"clean", "renamed", "paraphrased", "stripped", "misleading", "evolved"}
    # the reference teachers pass everywhere: the arms' evaluations ran real episodes
    assert all(g["pass_rate"] == 1.0 for g in arms["pooled"])
    second = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "0 stages ran" in second.stdout and "10 were done before" in second.stdout
