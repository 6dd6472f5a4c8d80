"""An episode as a person reads it: a header, then the messages phase by phase, the notes and
what the servers logged, reported and asked. What the episode holds is shown as text
(`terminal_safe`): a tool's or a model's escape sequences are not obeyed."""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Console
from rich.rule import Rule
from rich.text import Text
from toolmaster.core import Episode, Message, ServerNotice, terminal_safe

_SHORT = 1200
"""Contents longer than this many characters are shortened unless `--full` is given."""


def render_episode(console: Console, episode: Episode, *, full: bool = False) -> None:
    """Print `episode` to `console`: who did what, in which phase, and how it was judged."""
    for label, value in _header(episode):
        line = Text(f"{label:<9} ", style="bold")
        line.append(terminal_safe(value))
        console.print(line)
    for label, messages in episode.sections():
        console.print(Rule(label, align="left"))
        for message in messages:
            _message(console, message, full)
    if episode.notes is not None:
        console.print(Rule("experience notes (finish_trial)", align="left"))
        console.print(Text(terminal_safe(_shorten(episode.notes, full))))
    if episode.notices:
        console.print(Rule("server notices (logs, progress, sampling, elicitation)", align="left"))
        for notice in episode.notices:
            _notice(console, notice, full)


def _header(episode: Episode) -> list[tuple[str, str]]:
    task, policy, timings = episode.task, episode.policy, episode.timings
    where = ", ".join(
        f"{name} {value}"
        for name, value in (("env", task.env), ("split", task.split), ("seed", task.seed))
        if value is not None
    )
    model = ", ".join(x for x in (policy.backend, policy.model, policy.adapter) if x)
    rows = [
        ("episode", f"{episode.id} (format {episode.format_version})"),
        ("task", task.id + (f" ({where})" if where else "")),
        ("prompt", _shorten(task.prompt, False)),
        ("mode", episode.mode),
        ("policy", f"{policy.name} ({model})"),
        ("verdict", _verdict(episode)),
        ("started", _when(timings.started_at)),
    ]
    if timings.wall_s is not None:
        rows.append(
            (
                "took",
                (
                    f"{timings.wall_s:.1f}s (policy {timings.policy_s:.1f}s, "
                    f"tools {timings.tools_s:.1f}s)"
                ),
            )
        )
    usage = episode.usage
    rows.append(("tokens", f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion"))
    if episode.tools:
        rows.append(("tools", ", ".join(f"{t.name} ({t.server})" for t in episode.tools)))
    if episode.error is not None:
        error = episode.error
        rows.append(("error", f"{error.boundary}/{error.kind}: {error.message}"))
    if episode.answer is not None:
        rows.append(("answer", _shorten(episode.answer, False)))
    return rows


def _verdict(episode: Episode) -> str:
    verdict = episode.verdict
    if verdict is None:
        return "not judged"
    text = f"{'passed' if verdict.passed else 'failed'}, score {verdict.score:.2f}"
    return text + (f": {'; '.join(verdict.reasons)}" if verdict.reasons else "")


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def _message(console: Console, message: Message, full: bool) -> None:
    if message.role == "tool":
        head = Text(f"  <- {terminal_safe(message.name or 'tool')}", style="cyan")
        call_id = terminal_safe(message.tool_call_id or "")
        head.append(f" [{call_id}]" if call_id else "", style="dim")
        console.print(head)
        console.print(Text(terminal_safe(_indent(_shorten(message.content or "", full), 6))))
        return
    if message.content:
        line = Text(f"{message.role}: ", style="bold")
        line.append(terminal_safe(_shorten(message.content, full)))
        console.print(line)
    for call in message.tool_calls:
        line = Text(f"  -> {terminal_safe(call.tool)}", style="magenta")
        line.append(f" [{terminal_safe(call.id)}] ", style="dim")
        line.append(terminal_safe(_shorten(json.dumps(call.arguments, ensure_ascii=False), full)))
        console.print(line)


_NOTICE_LABELS = {
    "server_log": "log",
    "progress": "progress",
    "sampling": "sampling",
    "elicitation": "elicitation",
}


def _notice(console: Console, notice: ServerNotice, full: bool) -> None:
    """One line per notice (`--full`: with its details as JSON)."""
    line = Text(f"  {_NOTICE_LABELS[notice.kind]} ", style="blue")
    line.append(terminal_safe(notice.server or "?"), style="bold")
    details = notice.details
    if notice.kind == "server_log":
        line.append(f" {terminal_safe(str(details.get('level', 'info')))}", style="dim")
    if notice.kind == "progress":
        done, total = details.get("progress"), details.get("total")
        amount = f" {done:g}" if isinstance(done, int | float) else " ?"
        if isinstance(total, int | float):
            amount += f"/{total:g}"
        line.append(amount, style="dim")
    if notice.call_id:
        line.append(f" [{terminal_safe(notice.call_id)}]", style="dim")
    if notice.message:
        line.append(": " + terminal_safe(_shorten(notice.message, full)))
    console.print(line)
    if full and details:
        text = json.dumps(details, ensure_ascii=False, indent=2)
        console.print(Text(terminal_safe(_indent(text, 6)), style="dim"))


def _shorten(text: str, full: bool) -> str:
    if full or len(text) <= _SHORT:
        return text
    return f"{text[:_SHORT]}... ({len(text) - _SHORT} more characters; --full shows all)"


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line for line in text.splitlines() or [""])
