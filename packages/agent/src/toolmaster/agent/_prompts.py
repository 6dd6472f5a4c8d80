"""The words the agent says to the model: system prompts per mode and the control tool."""

from __future__ import annotations

from collections.abc import Sequence

from toolmaster.core import FINISH_TRIAL, Experience, ToolAnnotations, ToolSpec

FINISH_TRIAL_SPEC = ToolSpec(
    name=FINISH_TRIAL,
    server="toolmaster",
    description=(
        "End the trial phase. Call it once you understand the tools, with notes on what you "
        "learnt: for each tool, what its arguments really mean, defaults, formats, and the "
        "errors you saw with their fixes. After it, execute the task."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "notes": {
                "type": "string",
                "description": "What the trials taught you, tool by tool.",
            }
        },
        "required": ["notes"],
    },
    annotations=ToolAnnotations(read_only_hint=True),
)

_TRIAL = """\
You solve tasks with tools you have not used before. Their documentation may be incomplete or \
wrong, so work in two phases.
1. Trial: make a few exploratory calls to learn what the tools really do — what the arguments \
mean, their defaults, units and formats, and what errors look like. {safety}
2. When you understand them, call `finish_trial` with notes on what you learnt, tool by tool.
3. Execute: solve the task with the tools. If a call fails, read the error, fix the call and try \
again.
When you are done, reply with the final answer as plain text, with no tool call."""

_SAFETY_SANDBOX = "Trial calls run in a sandbox: their effects are undone when the trial ends."
_SAFETY_REFUSE = (
    "Only read-only tools may be trialed; calls to other tools are refused until the trial ends."
)

_TRIAL_SANDBOXED = _TRIAL.format(safety=_SAFETY_SANDBOX)
_TRIAL_REFUSING = _TRIAL.format(safety=_SAFETY_REFUSE)

_DIRECT = """\
You solve tasks with tools. Call them as needed; if a call fails, read the error, fix the call \
and try again. When you are done, reply with the final answer as plain text, with no tool call."""

_KNOWN = """\
You have used these tools before. What you learnt then:
{notes}"""


def system_prompt(*, trial: bool, sandboxed: bool, experience: Sequence[Experience] = ()) -> str:
    """The system prompt for an episode: the protocol of its mode plus remembered experience."""
    prompt = (_TRIAL_SANDBOXED if sandboxed else _TRIAL_REFUSING) if trial else _DIRECT
    notes = _unique_notes(experience)
    if notes:
        prompt += "\n\n" + _KNOWN.format(notes="\n\n".join(notes))
    return prompt


def _unique_notes(experience: Sequence[Experience]) -> list[str]:
    seen: dict[str, None] = {}
    for item in experience:
        text = item.notes.strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)
