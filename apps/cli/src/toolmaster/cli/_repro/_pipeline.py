"""Stages that run once: each stage's record says what it ran, with which inputs, and how long.

A `Stage` is a few steps (subprocess commands or in-process calls) with the stages it needs.
`run_pipeline` walks the stages in order:

- a stage whose record (`OUT/stages/NAME.json`) carries the same fingerprint, and whose output
  exists, is skipped;
- a stage without a record runs; a training stage whose folder holds checkpoints is given its
  resume flag, so an interrupted run continues where it stopped;
- a stage whose record carries another fingerprint (its config or an earlier stage changed)
  runs again if it owns no output folder (evaluations: their run ids change with the model they
  evaluate, so nothing old is reused), and stops the pipeline otherwise, naming `--redo NAME`;
- `--redo NAME` drops the records and owned outputs of NAME and of every stage after it that
  depends on it.

The fingerprint hashes the stage's steps (argv, not the resume flag), its declared inputs (e.g.
the training config's values) and the digests of the stages it needs. A stage's digest is its
fingerprint, or, with `digest_output`, a hash of its output file (training stages: the
`provenance.json` written last, so a retrained model has a new digest).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from toolmaster.cli._repro._services import Service, running

__all__ = [
    "Call",
    "Command",
    "Context",
    "PipelineError",
    "Stage",
    "StageOutcome",
    "run_pipeline",
]

RECORDS = "stages"
"""The folder under the output directory that holds one record per finished stage."""
PLACEHOLDER_DIGEST = "0" * 64
"""The digest a dry run shows for a stage that has not run yet."""


class PipelineError(Exception):
    """A stage failed, or the pipeline cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Command:
    """One subprocess. `toolmaster` is the `toolmaster ...` part of `argv` (without the launcher),
    so tests can check that the CLI accepts every flag; None for other programs."""

    argv: tuple[str, ...]
    toolmaster: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict[str, str])
    resume_flag: str | None = None
    """Appended when the stage's `resume_dir` holds a checkpoint."""

    def display(self) -> str:
        shown = ("toolmaster", *self.toolmaster) if self.toolmaster else self.argv
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return (prefix + " " if prefix else "") + shlex.join(shown)


@dataclass(frozen=True)
class Call:
    """One step in process (writing a summary): `fn()` with a name for logs and fingerprints."""

    name: str
    fn: Callable[[], None]

    def display(self) -> str:
        return f"(in process) {self.name}"


Step = Command | Call


class Context(Protocol):
    """What a stage's step builder may ask about earlier stages."""

    def digest(self, stage: str) -> str:
        """The digest of a finished stage (a placeholder in a dry run)."""
        ...


StepBuilder = Callable[[Context], Sequence[Step]]


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline."""

    name: str
    steps: Sequence[Step] | StepBuilder
    """The steps, or a function of the finished stages' digests that returns them."""
    after: tuple[str, ...] = ()
    output: Path | None = None
    """A file or folder that exists when the stage is done."""
    inputs: Any = None
    """JSON-able values that decide the output besides the steps (e.g. a config's contents)."""
    resume_dir: Path | None = None
    """A training output folder: checkpoints there give the resume flag; `--redo` removes it."""
    owned: tuple[Path, ...] = ()
    """Other paths `--redo` removes (e.g. a store the stage alone writes)."""
    digest_output: bool = False
    services: tuple[Service, ...] = ()
    """Servers that run while the stage's steps run (vLLM)."""
    expected_s: float | None = None
    """The time the stage is expected to take (printed; sizes are chosen from measurements)."""

    def resolve(self, context: Context) -> list[Step]:
        return list(self.steps(context) if callable(self.steps) else self.steps)


@dataclass(frozen=True)
class StageOutcome:
    """What happened to one stage in one invocation."""

    name: str
    status: str
    """`skipped`, `ran` or `planned` (dry run)."""
    wall_s: float | None
    steps: list[str]
    fingerprint: str


@dataclass
class _Records:
    folder: Path
    digests: dict[str, str] = field(default_factory=dict[str, str])
    dry_run: bool = False

    def digest(self, stage: str) -> str:
        if stage in self.digests:
            return self.digests[stage]
        if self.dry_run:
            return PLACEHOLDER_DIGEST
        raise PipelineError(f"stage {stage} has not run yet (a stage needs it first)")

    def path(self, stage: str) -> Path:
        return self.folder / f"{stage}.json"

    def read(self, stage: str) -> dict[str, Any] | None:
        path = self.path(stage)
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def write(self, stage: str, record: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path(stage).with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path(stage))


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(stage: Stage, steps: Sequence[Step], records: _Records) -> str:
    return _hash(
        {
            "stage": stage.name,
            "steps": [s.argv if isinstance(s, Command) else s.name for s in steps],
            "inputs": stage.inputs,
            "after": {name: records.digest(name) for name in stage.after},
        }
    )


def downstream(stages: Sequence[Stage], names: set[str]) -> set[str]:
    """`names` and every stage that needs one of them, directly or not."""
    out = set(names)
    for stage in stages:
        if out.intersection(stage.after):
            out.add(stage.name)
    return out


def _check(stages: Sequence[Stage], out: Path, redo: set[str]) -> None:
    seen: set[str] = set()
    for stage in stages:
        if stage.name in seen:
            raise PipelineError(f"stage {stage.name} is defined twice")
        missing = [a for a in stage.after if a not in seen]
        if missing:
            raise PipelineError(f"stage {stage.name} needs {missing}, which do not come before it")
        for path in (*stage.owned, *((stage.resume_dir,) if stage.resume_dir else ())):
            if not path.resolve().is_relative_to(out.resolve()):
                raise PipelineError(f"stage {stage.name} owns {path}, outside {out}")
        seen.add(stage.name)
    unknown = redo - seen
    if unknown:
        raise PipelineError(f"--redo: no stage {sorted(unknown)} (stages: {', '.join(seen)})")


def _clear(stage: Stage, records: _Records) -> None:
    records.path(stage.name).unlink(missing_ok=True)
    for path in (*stage.owned, *((stage.resume_dir,) if stage.resume_dir else ())):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def run_pipeline(
    stages: Sequence[Stage],
    out: Path,
    *,
    redo: Sequence[str] = (),
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> list[StageOutcome]:
    """Run the stages that are not done yet (module docstring); the outcome of each."""
    _check(stages, out, set(redo))
    records = _Records(out / RECORDS, dry_run=dry_run)
    again = downstream(stages, set(redo))
    outcomes: list[StageOutcome] = []
    for stage in stages:
        if stage.name in again and not dry_run:
            _clear(stage, records)
        steps = stage.resolve(records)
        fingerprint = _fingerprint(stage, steps, records)
        shown = [s.display() for s in steps]
        record = records.read(stage.name)
        done = stage.output is None or stage.output.exists()
        if record is not None and record["fingerprint"] == fingerprint and done:
            records.digests[stage.name] = record["digest"]
            outcomes.append(StageOutcome(stage.name, "skipped", None, shown, fingerprint))
            log(f"== {stage.name}: done before ({record['wall_s']:.0f} s then), skipped")
            continue
        if record is not None and record["fingerprint"] != fingerprint and stage.resume_dir:
            raise PipelineError(
                f"stage {stage.name} was run with other inputs (its config or an earlier stage "
                f"changed); run again with `--redo {stage.name}` to train it afresh (this "
                f"removes {stage.resume_dir})"
            )
        expected = f" (expected about {stage.expected_s / 60:.1f} min)" if stage.expected_s else ""
        if dry_run:
            log(f"== {stage.name}{expected}:\n" + "\n".join(f"   {s}" for s in shown))
            outcomes.append(StageOutcome(stage.name, "planned", None, shown, fingerprint))
            continue
        log(f"== {stage.name}{expected}")
        wall = _run_stage(stage, steps, out, log)
        digest = fingerprint
        if stage.digest_output and stage.output is not None and stage.output.is_file():
            digest = _file_digest(stage.output)
        if stage.output is not None and not stage.output.exists():
            raise PipelineError(f"stage {stage.name} finished without its output {stage.output}")
        records.digests[stage.name] = digest
        records.write(
            stage.name,
            {"stage": stage.name, "fingerprint": fingerprint, "digest": digest, "steps": shown,
             "wall_s": wall, "expected_s": stage.expected_s, "finished_at": time.time()},
        )  # fmt: skip
        outcomes.append(StageOutcome(stage.name, "ran", wall, shown, fingerprint))
        log(f"== {stage.name}: done in {wall:.0f} s")
    return outcomes


def _run_stage(stage: Stage, steps: Sequence[Step], out: Path, log: Callable[[str], None]) -> float:
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with running(stage.services, logs, log):
        for index, step in enumerate(steps):
            if isinstance(step, Call):
                log(f"   {step.display()}")
                step.fn()
                continue
            argv = list(step.argv)
            if step.resume_flag and _has_checkpoint(stage.resume_dir):
                argv.append(step.resume_flag)
            log(
                f"   $ {step.display()}"
                + (f" {step.resume_flag}" if argv != list(step.argv) else "")
            )
            _run_command(argv, step.env, logs / f"{stage.name}.{index}.log")
    return time.perf_counter() - started


def _has_checkpoint(folder: Path | None) -> bool:
    return folder is not None and any(folder.glob("checkpoint-*"))


def _run_command(argv: list[str], env: Mapping[str, str], log_path: Path) -> None:
    """Run one command; its output goes to the terminal and to `log_path`."""
    with (
        log_path.open("ab") as sink,
        subprocess.Popen(  # noqa: S603 (argv built by the pipeline, no shell)
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **env}
        ) as process,
    ):
        output = process.stdout
        assert output is not None
        while chunk := os.read(output.fileno(), 65536):
            sink.write(chunk)
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
        code = process.wait()
    if code != 0:
        raise PipelineError(f"`{shlex.join(argv)}` failed with exit code {code} (log: {log_path})")
