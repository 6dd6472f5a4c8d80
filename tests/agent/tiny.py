"""A tiny random causal LM and a BPE tokenizer built in memory, for fast policy tests.

`taught_model` overfits the model on one conversation so that greedy decoding reproduces a known
reply (a tool call), which makes end-to-end tests of generation and parsing meaningful.
"""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from toolmaster.agent import CHATML_TOOLS_TEMPLATE
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "system user assistant tool <tool_call> </tool_call> <tool_response> </tool_response>",
    '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
    "What is the weather in Paris? It is sunny and 21 degrees. Tools functions JSON schemas.",
    "You can call the functions below. To call a function, write a JSON object.",
]


def build_tokenizer(template: str = CHATML_TOOLS_TEMPLATE) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (a few hundred tokens) with ChatML special tokens."""
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=template,
    )


def build_model(tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> LlamaForCausalLM:
    """A 2-layer Llama with hidden size 64 and random weights."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval()


def teach(
    model: LlamaForCausalLM,
    tokenizer: PreTrainedTokenizerFast,
    prompt: str,
    reply: str,
    steps: int = 120,
) -> None:
    """Overfit `model` so that greedy decoding after `prompt` says `reply` then `<|im_end|>`."""
    prompt_ids = tokenizer.encode(prompt, add_special_tokens=False)
    reply_ids = tokenizer.encode(reply + "<|im_end|>", add_special_tokens=False)
    ids = torch.tensor([prompt_ids + reply_ids])
    labels = ids.clone()
    labels[0, : len(prompt_ids)] = -100
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # much faster than 2 for a model this small on a busy machine
    model.train()
    try:
        for _ in range(steps):
            loss = model(input_ids=ids, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        model.eval()
        torch.set_num_threads(threads)
