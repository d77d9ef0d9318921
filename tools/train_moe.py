#!/usr/bin/env python3
"""Train mixtral-4m: a small Mixtral-architecture MoE on the fixtures' text, and write its goldens.

The recipe follows trained/llama-8m (fixtures README, "trained/llama-8m"), scaled to the smaller data:
  model   MixtralConfig(vocab 4096 (bpe4k-gpt2), hidden 128, 4 layers, 4 heads, 2 kv heads (head_dim 32),
          8 experts, top-2, expert ffn 192, max positions 512, rope_theta 1e4, rms_norm_eps 1e-5, untied head,
          bos=eos=0, no sliding window), random init seed 0, saved in bfloat16.
  data    train stream = calib.txt, then the train part of tinystories-val.txt (cut at the first '\\n' at or
          after floor(0.98 * len) characters, as the fixtures cut their sources), each followed by
          <|endoftext|> (id 0). Held-out for early stopping = windows 40.. of heldout-mix.txt (windows 0..39 are
          kept for `sq eval --text heldout-mix.txt`, so the reported ppl is not the one stopping was chosen on).
  train   batches of 32 random windows of 257 tokens (torch generator seed 1234), AdamW (peak lr 2e-3, betas
          0.9/0.95, eps 1e-8, weight decay 0.1 on matrices/embeddings, 0 on norms), 100 warm-up steps then cosine
          to 1e-4 over STEPS, bf16 autocast, grad-norm clip 1.0, router load-balancing loss (coef 0.02, transformers'
          output_router_logits), SDPA. Held-out loss every 50 steps from step 100; the best checkpoint is kept.
  goldens computed on CPU in float32 from the SAVED bf16 files, eager attention, TF32 off (the fixtures' protocol):
          golden/logits.safetensors   input_ids [1,256] = heldout-mix window 0; logits [1,64,4096] (first 64)
                                      and twin_logits (the outlier twin, same ids)
          golden/act_scales.safetensors  calib.txt windows 0..15 (T=256): max|x_j| of every attention linear's
                                      input (hooks); per MoE layer: router (block_sparse_moe.gate) over all
                                      tokens, each expert's w1/w3 input and w2 input over the tokens routed to it
                                      (top-2 of the softmax, as Mixtral routes), tokens.<layer>.block_sparse_moe
                                      int64 [8] = token count per expert; twin.<key> the same on the twin
  twin    hidden channels 31, 78, 110: post_attention_layernorm x16 and the matching input columns of the router
          and every expert's w1/w3 /16; input_layernorm x32 and q/k/v columns /32 (llama-8m-outliers' recipe).
usage: train_moe.py DATA_DIR OUT_DIR   (DATA_DIR holds calib.txt tinystories-val.txt heldout-mix.txt tokenizer.json)
"""
import copy, json, math, os, shutil, sys, time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, MixtralConfig, MixtralForCausalLM

STEPS, WARMUP, BATCH, T, LR, LR_MIN = 1500, 100, 32, 256, 2e-3, 1e-4
CHANNELS, K_ATTN, K_MLP = (31, 78, 110), 32.0, 16.0


def read(path):
    return open(path, "rb").read().decode("utf-8")


def train_part(s):
    cut = s.find("\n", math.floor(0.98 * len(s)))
    return s if cut < 0 else s[:cut + 1]


def config():
    return MixtralConfig(vocab_size=4096, hidden_size=128, intermediate_size=192, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=32, num_local_experts=8,
                         num_experts_per_tok=2, max_position_embeddings=512, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                         tie_word_embeddings=False, bos_token_id=0, eos_token_id=0, pad_token_id=None,
                         sliding_window=None, router_aux_loss_coef=0.02, router_jitter_noise=0.0,
                         output_router_logits=False)


def windows(ids, first, count):
    return [ids[i * T:(i + 1) * T] for i in range(first, first + count) if (i + 1) * T <= len(ids)]


@torch.no_grad()
def heldout_loss(model, wins, dev):
    model.eval()
    tot, n = 0.0, 0
    for i in range(0, len(wins), 32):
        x = torch.tensor(wins[i:i + 32], device=dev)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x).logits.float()
        tot += F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="sum").item()
        n += x[:, 1:].numel()
    model.train()
    return tot / n


def train(data, dev):
    tok = Tokenizer.from_file(os.path.join(data, "tokenizer.json"))
    enc = lambda s: tok.encode(s, add_special_tokens=False).ids
    stream = enc(read(os.path.join(data, "calib.txt"))) + [0] + enc(train_part(read(os.path.join(data, "tinystories-val.txt")))) + [0]
    held = enc(read(os.path.join(data, "heldout-mix.txt")))
    held_wins = windows(held, 40, 10 ** 9)
    print(f"train tokens {len(stream)}, held-out windows {len(held_wins)}", flush=True)
    data_t = torch.tensor(stream, dtype=torch.long)

    torch.manual_seed(0)
    cfg = config()
    cfg.output_router_logits = True
    model = MixtralForCausalLM(cfg).to(dev)
    print("parameters", sum(p.numel() for p in model.parameters()), flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(1234)
    log = {"steps": [], "heldout": []}
    best, best_state = float("inf"), None
    t0 = time.time()
    for step in range(1, STEPS + 1):
        lr = LR * step / WARMUP if step <= WARMUP else LR_MIN + 0.5 * (LR - LR_MIN) * (1 + math.cos(math.pi * (step - WARMUP) / (STEPS - WARMUP)))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(stream) - T - 1, (BATCH,), generator=gen)
        x = torch.stack([data_t[s:s + T + 1] for s in starts.tolist()]).to(dev)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = model(x[:, :-1])
            logits = out.logits.float()
            ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
            aux = out.aux_loss.float() if out.aux_loss is not None else torch.zeros((), device=dev)
            loss = ce + cfg.router_aux_loss_coef * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        if step % 10 == 0:
            log["steps"].append([step, round(ce.item(), 4), lr, round(gn, 4), round(aux.item(), 4), round(time.time() - t0, 1)])
        if step >= 100 and step % 50 == 0:
            h = heldout_loss(model, held_wins, dev)
            log["heldout"].append([step, round(h, 4)])
            print(f"step {step} train {ce.item():.3f} aux {aux.item():.3f} heldout {h:.4f} {time.time() - t0:.0f}s", flush=True)
            if h < best:
                best, best_state = h, copy.deepcopy(model.state_dict())
                log["best"] = [step, round(h, 4)]
    model.load_state_dict(best_state)
    return model, log


def twin_state(sd, layers, experts):
    """The outlier twin of a saved (per-expert w1/w2/w3) state dict: powers of two, so the fp32 function is unchanged."""
    t = {k: v.clone() for k, v in sd.items()}
    ch = list(CHANNELS)
    for li in range(layers):
        p = f"model.layers.{li}."
        t[p + "input_layernorm.weight"][ch] *= K_ATTN
        t[p + "post_attention_layernorm.weight"][ch] *= K_MLP
        for n in ("q_proj", "k_proj", "v_proj"):
            t[f"{p}self_attn.{n}.weight"][:, ch] /= K_ATTN
        t[p + "block_sparse_moe.gate.weight"][:, ch] /= K_MLP
        for e in range(experts):
            for n in ("w1", "w3"):
                t[f"{p}block_sparse_moe.experts.{e}.{n}.weight"][:, ch] /= K_MLP
    return t


def moe_block(layer):
    for m in layer.modules():
        if type(m).__name__.endswith("SparseMoeBlock"):
            return m
    raise RuntimeError("no SparseMoeBlock in " + type(layer).__name__)


@torch.no_grad()
def act_scales(model, sd, wins, prefix=""):
    """sd: the state dict as saved (per-expert w1/w2/w3 names); routing recomputed from the block's input."""
    cfg = model.config
    E, K = cfg.num_local_experts, cfg.num_experts_per_tok
    scales, counts, hooks = {}, {}, []

    def upd(key, v):
        scales[key] = v.clone() if key not in scales else torch.maximum(scales[key], v)

    for li, layer in enumerate(model.model.layers):
        base = f"model.layers.{li}."
        for name, m in layer.named_modules():
            if isinstance(m, torch.nn.Linear) and name.startswith("self_attn."):
                hooks.append(m.register_forward_hook(lambda mod, i, o, key=base + name: upd(key, i[0].detach().abs().reshape(-1, i[0].shape[-1]).amax(0).float())))
        moe = moe_block(layer)
        mp = base + "block_sparse_moe."

        def moe_hook(mod, i, o, mp=mp):
            x = i[0].reshape(-1, i[0].shape[-1]).float()  # [tokens, hidden]
            upd(mp + "gate", x.abs().amax(0))
            probs = torch.softmax(x @ sd[mp + "gate.weight"].float().T, dim=-1)
            w, sel = torch.topk(probs, K, dim=-1)
            w = w / w.sum(-1, keepdim=True)
            y = torch.zeros_like(x)
            cnt = counts.setdefault(mp, torch.zeros(E, dtype=torch.long))
            for e in range(E):
                rows, slot = torch.nonzero(sel == e, as_tuple=True)
                cnt[e] += rows.numel()
                if rows.numel() == 0:
                    continue
                xe = x[rows]
                w1, w2, w3 = (sd[f"{mp}experts.{e}.{n}.weight"].float() for n in ("w1", "w2", "w3"))
                h = F.silu(xe @ w1.T) * (xe @ w3.T)
                upd(f"{mp}experts.{e}.w1", xe.abs().amax(0))
                upd(f"{mp}experts.{e}.w3", xe.abs().amax(0))
                upd(f"{mp}experts.{e}.w2", h.abs().amax(0))
                y.index_add_(0, rows, (h @ w2.T) * w[rows, slot].unsqueeze(-1))
            got = (o[0] if isinstance(o, tuple) else o).reshape(-1, x.shape[-1]).float()
            diff = (got - y).abs().max().item()
            assert diff <= 1e-4 * max(1.0, got.abs().max().item()), f"{mp}: own routing differs from transformers by {diff}"

        hooks.append(moe.register_forward_hook(moe_hook))
    for win in wins:
        model(torch.tensor([win]))
    for h in hooks:
        h.remove()
    out = {f"{prefix}{k}": v.contiguous() for k, v in scales.items()}
    out.update({f"{prefix}tokens.{k[:-1]}": v for k, v in counts.items()})
    return out


def goldens(out):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    d = os.path.join(out, "mixtral-4m")
    sd = {k: v.float() for k, v in load_file(os.path.join(d, "model.safetensors")).items()}
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    enc = lambda s: tok.encode(s, add_special_tokens=False).ids
    data = sys.argv[1]
    held = enc(read(os.path.join(data, "heldout-mix.txt")))
    calib = windows(enc(read(os.path.join(data, "calib.txt"))), 0, 16)
    ids = torch.tensor([held[:T]])
    with torch.no_grad():
        logits = model(ids).logits[:, :64].contiguous()
        g = {"input_ids": ids, "logits": logits}
        sc = act_scales(model, sd, calib)
        tsd = twin_state(sd, model.config.num_hidden_layers, model.config.num_local_experts)
        td = os.path.join(out, "twin-tmp")
        os.makedirs(td, exist_ok=True)
        shutil.copy(os.path.join(d, "config.json"), td)
        save_file({k: v.contiguous() for k, v in tsd.items()}, os.path.join(td, "model.safetensors"))
        twin = AutoModelForCausalLM.from_pretrained(td, dtype=torch.float32, attn_implementation="eager").eval()
        twin_logits = twin(ids).logits[:, :64].contiguous()
        g["twin_logits"] = twin_logits
        sc.update(act_scales(twin, tsd, calib, prefix="twin."))
        shutil.rmtree(td)
    print("golden: max|logits| %.3f, twin vs base max diff %.3g" % (logits.abs().max(), (twin_logits - logits).abs().max()))
    os.makedirs(os.path.join(d, "golden"), exist_ok=True)
    save_file(g, os.path.join(d, "golden", "logits.safetensors"))
    save_file(sc, os.path.join(d, "golden", "act_scales.safetensors"))
    tk = [v for k, v in sc.items() if k.startswith("tokens.")]
    print("tokens per expert (calib):", [t.tolist() for t in tk])


def main():
    data, out = sys.argv[1], sys.argv[2]
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True
    model, log = train(data, dev)
    d = os.path.join(out, "mixtral-4m")
    model.config.output_router_logits = False
    model.to(torch.bfloat16).cpu().save_pretrained(d, max_shard_size="64MB")
    shutil.copy(os.path.join(data, "tokenizer.json"), d)
    json.dump(log, open(os.path.join(d, "train_log.json"), "w"))
    print("best", log.get("best"), flush=True)
    goldens(out)


if __name__ == "__main__":
    if os.environ.get("STEPS"):
        STEPS = int(os.environ["STEPS"])
    main()
