"""Chat templates for training: the inference template with the assistant turns marked.

ToolMaster's policies render prompts with `toolmaster.agent.CHATML_TOOLS_TEMPLATE` (ChatML tokens,
Hermes / Qwen2.5 `<tool_call>` conventions). Training renders with `TRAINING_CHAT_TEMPLATE`, which
is that same template with `{% generation %}` / `{% endgeneration %}` around what the model writes
in each assistant turn, so that trl's `assistant_only_loss=True` (transformers'
`return_assistant_tokens_mask`) trains exactly those tokens:

    <|im_start|>assistant\\n{% generation %}text<tool_call>...<|im_end|>{% endgeneration %}\\n

- The header `<|im_start|>assistant\\n` is outside: at inference it is the generation prompt, which
  the model is given, not what it writes.
- `<|im_end|>` is inside: the model must learn to stop (trl checks this too).
- The `\\n` after `<|im_end|>` is outside: the template writes it, the model never does.
- Every assistant turn is marked: trial-phase turns, the `finish_trial(notes)` call, execution
  turns and the final answer. Tool results (rendered as user turns of `<tool_response>` blocks),
  the system prompt and the task are not.

The training template is derived from the inference template by inserting the two markers, so they
cannot drift apart: markers render nothing, and `tests/train/test_models.py` checks byte-identical
rendering and the exact mask.

GRPO (trl's tool-calling rollouts) needs two things of a template: it must be prefix-preserving
(ours is: earlier messages render the same whatever follows), and trl must be able to parse the
model's replies into tool calls. trl recognises only the templates it ships; rather than switch to
trl's Qwen2.5 template (whose system prompt and tools section differ from what ToolMaster's
policies render, so a trained model would be evaluated on prompts it never saw), ToolMaster keeps
its own template and gives the tokenizer trl's Qwen3 response parser (`attach_response_parser`),
which reads exactly our reply format: text, then `<tool_call>\\n{"name": ..., "arguments": ...}\\n
</tool_call>` blocks, then `<|im_end|>`. trl only falls back to its own template detection when a
tokenizer has no parser, so training, GRPO rollouts and inference all render the same text.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toolmaster.agent import CHATML_TOOLS_TEMPLATE

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "TRAINING_CHAT_TEMPLATE",
    "attach_response_parser",
    "has_generation_markers",
    "training_template_for",
]

_HEADER = "{{- '<|im_start|>assistant\\n' + (message.content or '') -}}"
_HEADER_MARKED = "{{- '<|im_start|>assistant\\n' -}}{%- generation -%}{{- message.content or '' -}}"
_END = "{%- endfor -%}{{- '<|im_end|>\\n' -}}{%- elif message.role == 'tool' -%}"
_END_MARKED = (
    "{%- endfor -%}{{- '<|im_end|>' -}}{%- endgeneration -%}{{- '\\n' -}}"
    "{%- elif message.role == 'tool' -%}"
)


def _mark(template: str) -> str:
    for old in (_HEADER, _END):
        if template.count(old) != 1:
            raise RuntimeError(
                "CHATML_TOOLS_TEMPLATE changed: update toolmaster.train._templates to mark its "
                f"assistant turns (expected exactly one {old!r})"
            )
    return template.replace(_HEADER, _HEADER_MARKED).replace(_END, _END_MARKED)


TRAINING_CHAT_TEMPLATE = _mark(CHATML_TOOLS_TEMPLATE)
"""`CHATML_TOOLS_TEMPLATE` with `{% generation %}` markers around each assistant turn's output."""


def has_generation_markers(template: str) -> bool:
    """Whether a chat template marks assistant output for assistant-only loss."""
    return "generation" in template and "endgeneration" in template


def training_template_for(inference_template: str | None) -> str | None:
    """The training variant of an inference template: ours for ToolMaster's template, the template
    itself when it already has markers, else None (trl then picks one for known families)."""
    if inference_template == CHATML_TOOLS_TEMPLATE:
        return TRAINING_CHAT_TEMPLATE
    if inference_template is not None and has_generation_markers(inference_template):
        return inference_template
    return None


def attach_response_parser(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Give a tokenizer that renders with ToolMaster's template the response parser that trl's
    GRPO tool calling uses (`tokenizer.parse_response`): trl's Qwen3 parser, which reads our
    `<tool_call>` JSON blocks. Tokenizers with another template are left to trl's detection."""
    template: object = getattr(tokenizer, "chat_template", None)
    if template not in (CHATML_TOOLS_TEMPLATE, TRAINING_CHAT_TEMPLATE):
        return tokenizer
    utils: Any = importlib.import_module("trl.chat_template_utils")
    tok: Any = tokenizer
    if getattr(utils, "_SUPPORTS_RESPONSE_TEMPLATE", False):
        tok.response_template = utils.qwen3_template
    else:
        tok.response_schema = utils.qwen3_schema
    return tokenizer
