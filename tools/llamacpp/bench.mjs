#!/usr/bin/env node
// Times llama.cpp (node-llama-cpp's prebuilt CPU binaries, installed outside the repository: see README.md) on a
// GGUF the way `./sq bench` times sq: a batched prefill of N random token ids (like llama-bench's ppN) and a greedy
// decode of M tokens after it (like tgM, but at positions N..N+M-1 as sq's decode), on a fixed thread count.
// Prints one JSON object on stdout; progress on stderr.
//
//   node tools/llamacpp/bench.mjs --model /work/llamacpp/tinyllama-q8_0.gguf --threads 2 --prompt 256 --gen 32
//   ... --parallel 16     also: 16 sequences decoding together in one context vs one of them alone
//
// Which CPU variant of ggml ran (libggml-cpu-<arch>.so, chosen by ggml at load time from the CPU's features) is read
// from the process's own memory map, and reported with llama.cpp's system info line.
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const USAGE = `usage: node tools/llamacpp/bench.mjs --model FILE.gguf [--threads 2] [--prompt 256] [--gen 32] [--reps 4]
                [--parallel S] [--parallel-prompt 32] [--llamacpp-dir DIR]
  --model           a GGUF file (tools/llamacpp/make_gguf.py writes the tinyllama-1.1b shape)
  --threads         threads for llama.cpp (default 2)
  --prompt, --gen   prefill and decode lengths (default 256, 32)
  --reps            timed prefills after one warm-up; the fastest counts, as in ./sq bench (default 4)
  --parallel S      also decode S sequences together (one llama_decode per step over all of them) after a prompt of
                    --parallel-prompt random ids each, and the same decode for one sequence alone, in one context
  --llamacpp-dir    where node-llama-cpp is installed (default $LLAMACPP_DIR or /work/llamacpp)`;

function fail(msg) {
    process.stderr.write(`bench.mjs: ${msg}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    const a = {threads: 2, prompt: 256, gen: 32, reps: 4, parallel: 0, parallelPrompt: 32,
        llamacppDir: process.env.LLAMACPP_DIR || "/work/llamacpp"};
    const ints = {"--threads": "threads", "--prompt": "prompt", "--gen": "gen", "--reps": "reps",
        "--parallel": "parallel", "--parallel-prompt": "parallelPrompt"};
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        if (k === "-h" || k === "--help") { console.log(USAGE); process.exit(0); }
        const v = argv[++i];
        if (v === undefined) fail(`${k} needs a value\n${USAGE}`);
        if (k === "--model") a.model = v;
        else if (k === "--llamacpp-dir") a.llamacppDir = v;
        else if (k in ints) {
            const n = Number(v);
            if (!Number.isInteger(n) || n < (k === "--parallel" ? 0 : 1)) fail(`${k} ${v}: not a positive integer`);
            a[ints[k]] = n;
        } else fail(`unknown option ${k}\n${USAGE}`);
    }
    if (!a.model) fail(`--model is required\n${USAGE}`);
    if (!fs.existsSync(a.model)) fail(`${a.model}: no such file (write one with tools/llamacpp/make_gguf.py)`);
    return a;
}

/** Deterministic random token ids in [3, vocab): not <unk>, <s>, </s>. */
function randomTokens(n, vocab, seed) {
    let s = BigInt(seed);
    const out = [];
    for (let i = 0; i < n; i++) {
        s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
        out.push(3 + Number((s >> 33n) % BigInt(vocab - 3)));
    }
    return out;
}

/** The libggml-cpu-*.so this process mapped (ggml loads the best variant the CPU supports, one of several). */
function loadedCpuVariants() {
    const maps = fs.readFileSync("/proc/self/maps", "utf8");
    return [...new Set([...maps.matchAll(/\S*libggml-cpu[^\s]*\.so/g)].map((m) => path.basename(m[0])))];
}

/** "repack: repack tensor X with q4_0_8x8" lines, counted per layout. */
function summarizeRepack(lines) {
    const counts = {};
    for (const l of lines) {
        const m = l.match(/repack tensor \S+ with (\S+)/);
        if (m) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
    }
    return counts;
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const now = () => process.hrtime.bigint();
const log = (m) => process.stderr.write(`bench.mjs: ${m}\n`);

/** Greedy-decodes `gen` tokens for one sequence after its prompt; the first step (the prompt's last token) is untimed. */
async function decode(seq, prompt, gen) {
    await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
    const it = seq.evaluate(prompt.slice(-1), {temperature: 0})[Symbol.asyncIterator]();
    await it.next();
    const t0 = now();
    for (let i = 0; i < gen; i++) await it.next();
    const s = seconds(t0);
    await it.return();
    return s;
}

async function main() {
    const a = parseArgs(process.argv.slice(2));
    const entry = path.join(a.llamacppDir, "node_modules", "node-llama-cpp", "dist", "index.js");
    if (!fs.existsSync(entry)) fail(`${entry}: node-llama-cpp is not installed there (see tools/llamacpp/README.md)`);
    const {getLlama, LlamaLogLevel} = await import(pathToFileURL(entry).href);
    const pkg = JSON.parse(fs.readFileSync(path.join(a.llamacppDir, "node_modules", "node-llama-cpp", "package.json"), "utf8"));

    const lines = [];
    const llama = await getLlama({
        gpu: false, build: "never", maxThreads: a.threads, logLevel: LlamaLogLevel.debug,
        logger: (level, message) => lines.push(message.trimEnd()),
    });
    log(`loading ${a.model}`);
    const model = await llama.loadModel({modelPath: a.model, gpuLayers: 0});
    const vocab = model.fileInfo.metadata.llama?.vocab_size ?? model.tokens.vocabularySize ?? 32000;
    const threads = {ideal: a.threads, min: a.threads};

    // prefill: a fresh history each time, one batch of `prompt` tokens (batch size >= prompt, as llama-bench's n_ubatch 512)
    const ctx = await model.createContext({contextSize: a.prompt + a.gen + 8, batchSize: Math.max(512, a.prompt), threads, sequences: 1});
    const seq = ctx.getSequence();
    const prompt = randomTokens(a.prompt, vocab, 7);
    const runs = [];
    for (let r = 0; r <= a.reps; r++) {
        await seq.clearHistory();
        const t0 = now();
        await seq.evaluateWithoutGeneratingNewTokens(prompt);
        const s = seconds(t0);
        if (seq.nextTokenIndex !== a.prompt) fail(`prefill evaluated ${seq.nextTokenIndex} tokens, not ${a.prompt}`);
        if (r > 0) runs.push(a.prompt / s); // run 0 warms up
        log(`prefill ${r === 0 ? "warm-up" : r}: ${(a.prompt / s).toFixed(1)} tok/s`);
    }
    await seq.clearHistory();
    const decodeS = await decode(seq, prompt, a.gen);
    log(`decode: ${(a.gen / decodeS).toFixed(2)} tok/s`);
    await ctx.dispose();

    const out = {
        engine: "llama.cpp",
        node_llama_cpp: pkg.version,
        llama_cpp_release: `${llama.llamaCppRelease.repo} ${llama.llamaCppRelease.release}`,
        build_type: llama.buildType,
        cpu_backend: loadedCpuVariants(),
        load_backend_log: lines.filter((l) => l.includes("load_backend") || l.includes("CPU backend")),
        // ggml's CPU "extra" buffer re-lays some weight types out at load (e.g. Q4_0 into interleaved 8x8 blocks)
        repack_log: summarizeRepack(lines),
        system_info: llama.systemInfo,
        model: path.basename(a.model),
        file_type: model.fileInfo.metadata.general?.file_type,
        model_bytes: fs.statSync(a.model).size,
        threads: a.threads,
        flash_attention: lines.find((l) => /Flash Attention (enabled|disabled)/.test(l))?.replace(/^.*Flash Attention /, "") ?? ctx.flashAttention,
        prompt_tokens: a.prompt,
        gen_tokens: a.gen,
        prefill_tok_s: Math.max(...runs),
        prefill_runs_tok_s: runs,
        decode_tok_s: a.gen / decodeS,
    };

    if (a.parallel > 0) {
        // S sequences of one context; each gets its own prompt, then all decode together: node-llama-cpp queues every
        // sequence's next token and dispatches one llama_decode over all of them per step
        const S = a.parallel;
        const pctx = await model.createContext({contextSize: a.parallelPrompt + a.gen + 8, batchSize: Math.max(512, S * a.parallelPrompt),
            threads, sequences: S});
        const seqs = Array.from({length: S}, () => pctx.getSequence());
        const prompts = seqs.map((_, i) => randomTokens(a.parallelPrompt, vocab, 100 + i));
        log(`decode of 1 sequence alone (prompt ${a.parallelPrompt})`);
        const single = a.gen / (await decode(seqs[0], prompts[0], a.gen));
        await seqs[0].clearHistory();
        log(`decode of ${S} sequences together`);
        await Promise.all(seqs.map((s, i) => s.evaluateWithoutGeneratingNewTokens(prompts[i].slice(0, -1))));
        const its = seqs.map((s, i) => s.evaluate(prompts[i].slice(-1), {temperature: 0})[Symbol.asyncIterator]());
        await Promise.all(its.map((it) => it.next()));
        const t0 = now();
        for (let step = 0; step < a.gen; step++) await Promise.all(its.map((it) => it.next()));
        const s = seconds(t0);
        await Promise.all(its.map((it) => it.return()));
        const aggregate = S * a.gen / s;
        log(`decode x${S}: ${aggregate.toFixed(2)} tok/s aggregate, ${(aggregate / single).toFixed(2)}x one sequence`);
        out.parallel = {sequences: S, prompt_tokens: a.parallelPrompt, gen_tokens: a.gen, single_decode_tok_s: single,
            aggregate_decode_tok_s: aggregate, aggregate_over_single: aggregate / single};
        await pctx.dispose();
    }
    console.log(JSON.stringify(out));
    await model.dispose();
    await llama.dispose();
}

main().catch((e) => fail(e?.message || String(e)));
