"""Teacher-forced call accuracy: which of the teachers' calls a model reproduces exactly.

For every held-out row of a training config (the rows SFT never trained on), the model reads the
teacher's episode up to each assistant turn and we ask whether its greedy choice of every token of
each tool call (`<tool_call>...</tool_call>`) and of the final answer equals the teacher's. All of
a call's tokens right under teacher forcing is the same as greedy decoding reproducing that call
from the teacher's prefix, so a call counts as reproduced exactly then. Calls are grouped by what
they need from the model:

- `trial, first`: a trial call whose last tool result was not an error (a probe);
- `after an error`: any call right after a tool error (fixing a call from the error it reads);
- `execute`: execution calls that follow a successful result (copying ids and values);
- `finish_trial`: the notes; `answer`: the final answer.

    uv run python docs/results/mini/learn/call_accuracy.py \
        --config docs/results/mini/learn/sft-trial.toml --store runs/learn/teacher.db \
        --adapter none --adapter runs/learn/shipped

prints one table row per adapter (`none`: the bare base model).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from toolmaster.agent import load_embedded_model
from toolmaster.core import Store
from toolmaster.train import TrainConfig, build_sft_dataset

_BLOCK = re.compile(r"<\|im_start\|>assistant\n(.*?)<\|im_end\|>", re.DOTALL)
_CALL = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)
_GROUPS = ("trial, first", "after an error", "execute", "finish_trial", "answer")


def _kinds(messages: list[dict[str, Any]]) -> list[list[str]]:
    """The group of each call (or of the answer) of each assistant message, in order."""
    kinds: list[list[str]] = []
    trial_over = False
    last_error = False
    for message in messages:
        if message["role"] == "tool":
            last_error = (message.get("content") or "").startswith("Error executing tool")
            continue
        if message["role"] != "assistant":
            continue
        calls = message.get("tool_calls") or []
        if not calls:
            kinds.append(["answer"])
            continue
        row: list[str] = []
        for call in calls:
            name = call["function"]["name"]
            if name == "finish_trial":
                row.append("finish_trial")
                trial_over = True
            elif last_error:
                row.append("after an error")
            else:
                row.append("execute" if trial_over else "trial, first")
        kinds.append(row)
    return kinds


def _spans(text: str, kinds: list[list[str]]) -> list[tuple[str, int, int]]:
    """(group, start, end) character spans of every call and answer in the rendered text."""
    spans: list[tuple[str, int, int]] = []
    blocks = list(_BLOCK.finditer(text))
    if len(blocks) != len(kinds):
        raise ValueError(f"{len(blocks)} assistant blocks rendered, {len(kinds)} expected")
    for block, groups in zip(blocks, kinds, strict=True):
        calls = list(_CALL.finditer(text, block.start(1), block.end(1)))
        if groups == ["answer"]:
            spans.append(("answer", block.start(1), block.end(1)))
            continue
        if len(calls) != len(groups):
            raise ValueError(f"{len(calls)} calls rendered, {len(groups)} expected")
        spans.extend((g, c.start(), c.end()) for g, c in zip(groups, calls, strict=True))
    return spans


def _score(model: Any, tokenizer: Any, rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    result = {g: Counter[str]() for g in _GROUPS}
    for row in rows:
        messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
        for m in messages:
            for call in m.get("tool_calls") or []:
                if isinstance(call["function"]["arguments"], str):
                    call["function"]["arguments"] = json.loads(call["function"]["arguments"])
        text = tokenizer.apply_chat_template(
            messages, tools=json.loads(row["tools"]), tokenize=False
        )
        enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=False)
        ids = torch.tensor([enc["input_ids"]])
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids).logits[0]
        right = (logits[:-1].argmax(-1) == ids[0, 1:]).tolist()  # token t+1 predicted at t
        starts = [s for s, _ in enc["offset_mapping"]]
        for group, start, end in _spans(text, _kinds(messages)):
            tokens = [i for i, s in enumerate(starts) if start <= s < end and i > 0]
            ok = [right[i - 1] for i in tokens]
            result[group]["calls"] += 1
            result[group]["exact"] += all(ok)
            result[group]["tokens"] += len(ok)
            result[group]["right"] += sum(ok)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--adapter", action="append", required=True, help="a folder, or none")
    parser.add_argument("--rows", type=int, default=0, help="the first N held-out rows (0: all)")
    args = parser.parse_args()
    config = TrainConfig.load(args.config)
    splits, _ = build_sft_dataset(Store(args.store, read_only=True), config.data)
    rows = list(splits["eval"])[: args.rows or None]
    print(f"{len(rows)} held-out rows of {args.config}")
    print("| model | " + " | ".join(_GROUPS) + " |")
    print("|---|" + "---|" * len(_GROUPS))
    for adapter in args.adapter:
        model, tokenizer = load_embedded_model()
        if adapter != "none":
            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        model.eval()
        result = _score(model, tokenizer, rows)
        cells = [
            f"{r['exact']}/{r['calls']} exact, {r['right'] / max(r['tokens'], 1):.1%} tokens"
            for r in (result[g] for g in _GROUPS)
        ]
        print(f"| {adapter} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
