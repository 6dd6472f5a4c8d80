"""The reproduction pipelines (scripts/repro): every command they issue is one the `toolmaster`
CLI accepts, flags included; stages run once, resume and redo as documented; and (e2e) the
quick mini pipeline runs end to end with the tiny random model and the reference teachers."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from toolmaster.cli._app import app

from scripts.repro.__main__ import mini_options, parse, stages_of
from scripts.repro._arms import ARMS
from scripts.repro._configs import derive_config
from scripts.repro._pipeline import (
    Call,
    Command,
    PipelineError,
    Stage,
    dry_context,
    run_pipeline,
)

ROOT = Path(__file__).resolve().parents[1]


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


def _commands(argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Command]:
    monkeypatch.chdir(ROOT)
    args = parse([*argv, "--out", str(tmp_path / "run"), "--dry-run"])
    stages, _ = stages_of(args)
    lines: list[str] = []
    run_pipeline(stages, tmp_path / "run", dry_run=True, log=lines.append)
    context = dry_context()
    return [s for stage in stages for s in stage.resolve(context) if isinstance(s, Command)]


@pytest.mark.parametrize(
    "argv",
    [
        ["mini"],
        ["mini", "--quick"],
        ["mini", "--quick", "--model", "tiny-random", "--eval-policy", "reference"],
        ["mini", "--eval-tasks-per-env", "2", "--sft-steps", "3", "--threads", "1"],
        ["mini", "--max-turns", "12", "--max-trial-calls", "5"],
        ["paper", "--teacher-url", "http://127.0.0.1:9/v1", "--teacher-model", "teacher",
         "--teacher-key-env", "TEACHER_KEY"],
    ],
)  # fmt: skip
def test_every_command_parses_with_the_cli(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _commands(argv, monkeypatch, tmp_path)
    tools = [c.toolmaster for c in commands if c.toolmaster is not None]
    # synth, two SFTs, GRPO, five evaluations and the report
    assert len(tools) == 10
    for tool in tools:
        ctx = _parse_cli(tool)
        expected = tool[1] if tool[0] in ("train", "eval") else tool[0]
        assert ctx.command.name == expected, (ctx.command.name, tool)
        if ctx.command.name in ("sft", "grpo"):  # the derived config is a real, valid file
            from toolmaster.train._config import TrainConfig

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


def test_mini_options_and_arms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    quick = mini_options(parse(["mini", "--quick"]))
    assert quick.out == Path("runs/repro-mini/quick")
    assert quick.results == Path("docs/results/mini-check")
    full = mini_options(parse(["mini", "--eval-tasks-per-env", "2"]))
    assert full.results == Path("docs/results/mini")
    assert full.sizes.eval.tasks_per_env == 2 and full.sizes.eval.limit is None
    assert [a.mode for a in ARMS] == ["direct", "trial", "direct", "trial", "trial"]


def test_turn_budgets_reach_evaluations_and_grpo_rollouts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    argv = ["mini", "--max-turns", "12", "--max-trial-calls", "5", "--grpo-completion", "1024"]
    sizes = mini_options(parse(argv)).sizes
    assert (sizes.grpo_max_turns, sizes.grpo_max_trial_calls) == (12, 5)
    assert sizes.grpo_completion == 1024
    commands = _commands(argv, monkeypatch, tmp_path)
    evals = [c.toolmaster for c in commands if c.toolmaster and c.toolmaster[:2] == ("eval", "run")]
    assert len(evals) == len(ARMS)
    for command in evals:
        flat = " ".join(command)
        assert "--max-turns 12" in flat and "--max-trial-calls 5" in flat


def test_derived_config_keeps_the_recipe_and_applies_sizes(tmp_path: Path) -> None:
    recipe = ROOT / "configs/train/mini-trial.toml"
    values = derive_config(
        recipe, {"sft": {"trl": {"max_steps": 3}}, "model": {"name_or_path": "tiny-random"}},
        tmp_path / "c.toml",
    )  # fmt: skip
    from toolmaster.train._config import TrainConfig

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
    argv = [sys.executable, "-m", "scripts.repro", "mini", "--quick", "--model", "tiny-random",
            "--eval-policy", "reference", "--out", str(out), "--results", str(results)]  # fmt: skip
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
