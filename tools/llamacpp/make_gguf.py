#!/usr/bin/env python3
"""Writes a GGUF v3 file of the tinyllama-1.1b shape with random weights, for timing llama.cpp on this machine.

Same sizes as sq's `--shape tinyllama-1.1b` (src/main/java/sq/model/SyntheticModels.java): hidden 2048, 22 layers,
32 heads, 4 kv heads, ffn 5632, vocab 32000, 2048 positions, rope theta 10000, RMS eps 1e-5, untied head. The
weights are uniform with std 0.02 as sq's (not the same numbers: speed depends on the sizes only), quantized here:

  q8_0  every matrix (embeddings, the 7 linears per layer, output) Q8_0: blocks of 32 int8 and an fp16 scale
        max|x| / 127, 8.5 bits per weight; what sq's int8 engine compares with (W8, int8 head and embeddings).
  q4_0  every matrix Q4_0 (blocks of 32 4-bit values q in 0..15, x = d (q - 8), d = max-magnitude / -8, 4.5 bits
        per weight) except output.weight, which stays Q8_0: llama-quantize's Q4_0 keeps the head at higher
        precision too (Q6_K there; Q8_0 is the nearest type this script writes).

Norm gains are F32 ones. The tokenizer is a dummy SentencePiece ("llama") vocabulary: <unk>, <s>, </s>, the 256
byte pieces <0x00>..<0xFF> (llama.cpp looks up <0x0A> when it loads an SPM vocabulary) and distinct dummy pieces.

  python3 tools/llamacpp/make_gguf.py --type q8_0 --out /work/llamacpp/tinyllama-q8_0.gguf

The file is written to OUT.tmp and renamed when complete; an existing OUT is replaced. No model is committed.
"""
import argparse
import os
import struct
import sys

import numpy as np

HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, VOCAB, CONTEXT = 2048, 22, 32, 4, 5632, 32000, 2048
ROPE_THETA, RMS_EPS = 10000.0, 1e-5
HEAD_DIM = HIDDEN // HEADS
STD = 0.02
ALIGN = 32

# ggml_type ids
F32, Q4_0, Q8_0 = 0, 2, 8
# llama_ftype ids (general.file_type): MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7
FILE_TYPE = {"q8_0": 7, "q4_0": 2}
# gguf metadata value types
UINT32, INT32, FLOAT32, STRING, ARRAY = 4, 5, 6, 8, 9

QK = 32  # elements per block of both Q8_0 and Q4_0


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == UINT32:
        return out + struct.pack("<I", value)
    if vtype == FLOAT32:
        return out + struct.pack("<f", value)
    if vtype == STRING:
        return out + gguf_string(value)
    raise ValueError(vtype)


def kv_array(key, etype, values):
    out = gguf_string(key) + struct.pack("<IIQ", ARRAY, etype, len(values))
    if etype == STRING:
        return out + b"".join(gguf_string(v) for v in values)
    if etype == FLOAT32:
        return out + np.asarray(values, dtype="<f4").tobytes()
    if etype == INT32:
        return out + np.asarray(values, dtype="<i4").tobytes()
    raise ValueError(etype)


def q8_0(x):
    """x: [rows, cols] float32, cols % 32 == 0 -> rows x cols/32 blocks of (fp16 d, int8 q[32])."""
    b = x.reshape(-1, QK)
    amax = np.abs(b).max(axis=1, keepdims=True)
    d = amax / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    q = np.clip(np.rint(b * inv), -127, 127).astype(np.int8)
    out = np.empty((b.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def q4_0(x):
    """As ggml's quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8, q = clamp(x / d + 8.5, 0, 15);
    byte j holds element j (low nibble) and element j + 16 (high nibble)."""
    b = x.reshape(-1, QK)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(b.shape[0]), idx][:, None]
    d = mx / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.clip((b * inv + 8.5).astype(np.int32), 0, 15).astype(np.uint8)
    out = np.empty((b.shape[0], 18), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def tensors(qtype):
    """(name, gguf dims (ne0 = the contiguous input dimension first), ggml type) in llama.cpp's order."""
    w = Q8_0 if qtype == "q8_0" else Q4_0
    yield "token_embd.weight", (HIDDEN, VOCAB), w
    for l in range(LAYERS):
        p = f"blk.{l}."
        yield p + "attn_norm.weight", (HIDDEN,), F32
        yield p + "attn_q.weight", (HIDDEN, HIDDEN), w
        yield p + "attn_k.weight", (HIDDEN, KV_HEADS * HEAD_DIM), w
        yield p + "attn_v.weight", (HIDDEN, KV_HEADS * HEAD_DIM), w
        yield p + "attn_output.weight", (HIDDEN, HIDDEN), w
        yield p + "ffn_norm.weight", (HIDDEN,), F32
        yield p + "ffn_gate.weight", (HIDDEN, FFN), w
        yield p + "ffn_up.weight", (HIDDEN, FFN), w
        yield p + "ffn_down.weight", (FFN, HIDDEN), w
    yield "output_norm.weight", (HIDDEN,), F32
    yield "output.weight", (HIDDEN, VOCAB), Q8_0


def nbytes(dims, ttype):
    n = int(np.prod(dims))
    return {F32: 4 * n, Q8_0: n // QK * 34, Q4_0: n // QK * 18}[ttype]


def data(dims, ttype, rng):
    """The tensor's bytes, generated and quantized a slab of rows at a time (the embeddings are 65M weights)."""
    if ttype == F32:
        yield np.ones(dims, dtype="<f4").tobytes()
        return
    cols, rows = dims[0], int(np.prod(dims[1:]))
    half = STD * np.sqrt(3.0)  # uniform on [-half, half] has std 0.02
    quant = q8_0 if ttype == Q8_0 else q4_0
    step = max(1, (1 << 22) // cols)
    for r in range(0, rows, step):
        x = (rng.random((min(step, rows - r), cols), dtype=np.float32) - np.float32(0.5)) * np.float32(2 * half)
        yield quant(x)


def vocabulary():
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256  # unknown, control, control, byte
    n = VOCAB - len(tokens)
    tokens += [f"\u2581t{i}" for i in range(n)]
    types += [1] * n  # normal
    scores = [0.0] * 259 + [-float(i) for i in range(n)]
    return tokens, scores, types


def metadata(qtype):
    tokens, scores, types = vocabulary()
    return [
        kv("general.architecture", STRING, "llama"),
        kv("general.name", STRING, f"tinyllama-1.1b shape, random weights, {qtype}"),
        kv("general.file_type", UINT32, FILE_TYPE[qtype]),
        kv("general.alignment", UINT32, ALIGN),
        kv("llama.context_length", UINT32, CONTEXT),
        kv("llama.embedding_length", UINT32, HIDDEN),
        kv("llama.block_count", UINT32, LAYERS),
        kv("llama.feed_forward_length", UINT32, FFN),
        kv("llama.attention.head_count", UINT32, HEADS),
        kv("llama.attention.head_count_kv", UINT32, KV_HEADS),
        kv("llama.attention.layer_norm_rms_epsilon", FLOAT32, RMS_EPS),
        kv("llama.rope.freq_base", FLOAT32, ROPE_THETA),
        kv("llama.rope.dimension_count", UINT32, HEAD_DIM),
        kv("llama.vocab_size", UINT32, VOCAB),
        kv("tokenizer.ggml.model", STRING, "llama"),
        kv_array("tokenizer.ggml.tokens", STRING, tokens),
        kv_array("tokenizer.ggml.scores", FLOAT32, scores),
        kv_array("tokenizer.ggml.token_type", INT32, types),
        kv("tokenizer.ggml.unknown_token_id", UINT32, 0),
        kv("tokenizer.ggml.bos_token_id", UINT32, 1),
        kv("tokenizer.ggml.eos_token_id", UINT32, 2),
    ]


def pad(n):
    return (ALIGN - n % ALIGN) % ALIGN


def write(path, qtype, seed):
    meta = metadata(qtype)
    infos, offset, layout = [], 0, []
    for name, dims, ttype in tensors(qtype):
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", ttype, offset))
        layout.append((name, dims, ttype, offset))
        offset += nbytes(dims, ttype)
        offset += pad(offset)
    rng = np.random.default_rng(seed)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(meta)))
        for m in meta:
            f.write(m)
        for i in infos:
            f.write(i)
        f.write(b"\0" * pad(f.tell()))
        start = f.tell()
        for i, (name, dims, ttype, off) in enumerate(layout):
            assert f.tell() - start == off, name
            for chunk in data(dims, ttype, rng):
                f.write(chunk)
            f.write(b"\0" * pad(f.tell() - start))
            if name.endswith("ffn_down.weight") or name == "output.weight":
                print(f"make_gguf: {name} written ({(f.tell() >> 20)} MiB)", file=sys.stderr, flush=True)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Write a random-weight GGUF of the tinyllama-1.1b shape for llama.cpp.")
    ap.add_argument("--type", choices=sorted(FILE_TYPE), default="q8_0", help="weight format (default q8_0)")
    ap.add_argument("--out", required=True, help="output .gguf path (outside the repository)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    a = ap.parse_args()
    parent = os.path.dirname(os.path.abspath(a.out))
    if not os.path.isdir(parent):
        print(f"make_gguf: {parent}: no such directory", file=sys.stderr)
        sys.exit(2)
    write(a.out, a.type, a.seed)
    print(f"make_gguf: wrote {a.out} ({os.path.getsize(a.out) / 1e9:.2f} GB)", file=sys.stderr)


if __name__ == "__main__":
    main()
