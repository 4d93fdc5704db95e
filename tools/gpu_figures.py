#!/usr/bin/env python3
"""Tables for docs/BENCHMARKS.md from a tools/gpu-check.sh run.

    python3 tools/gpu_figures.py OUT/bench.jsonl LOGS_DIR > figures.md

bench.jsonl holds one {"label", "result"} object per benchmark; LOGS_DIR the step logs, from
which the test results and the parity figures the tests print are read. Standard library only.
"""
import json
import re
import sys
from pathlib import Path


def load(path):
    rows = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            obj = json.loads(line)
            rows[obj["label"]] = obj["result"]
    return rows


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def encode_rows(b, prefix):
    rows = []
    mine = [r for label, r in b.items() if label.startswith(prefix)]
    for r in sorted(mine, key=lambda r: (r.get("precision", ""), r.get("batch", 0))):
        host = r.get("images_per_s_from_host") or None
        rows.append([r.get("precision", "fp32"), r["batch"], fmt(r["images_per_s"]), fmt(host),
                     fmt(r["gemm_gflops"], 0), f"{100 * r['roofline_fraction']:.0f}%", fmt(r["short_text_ms"], 2),
                     fmt(1e3 / r["short_text_ms"], 0), fmt(r["long_text_ms"], 2)])
    return rows


def main():
    bench = load(sys.argv[1]) if Path(sys.argv[1]).exists() else {}
    logs = Path(sys.argv[2])
    out = []
    header = ["precision", "batch", "images/s (on device)", "images/s (from pinned host)", "GEMM GFLOP/s",
              "% of roofline", "short query ms", "queries/s", "77-token ms"]
    rows = encode_rows(bench, "encode-cuda-")
    if rows:
        out += ["### CUDA encoder: `vopsearch-cli bench encode --device cuda --precision P --batch N --seconds 1`",
                "", table(header, rows), ""]
    if "variants-cuda" in bench:
        rows = [[r["variant"], f"{r['parameters']:,}", fmt(r["clips_per_s"]), fmt(r["frames_per_s"], 0)]
                for r in bench["variants-cuda"]]
        out += ["### CUDA, VoP variants (fp32): `bench encode --variant all --clips 16 --frames 12 --device cuda`",
                "", table(["variant", "trainable", "segments/s", "frames/s"], rows), ""]
    rows = []
    for label, r in bench.items():
        if label.startswith("train-cuda-"):
            v = label[len("train-cuda-"):]
            mem = bench.get("gpu-memory-" + v, {})
            peak = mem.get("peak_mib", 0) - mem.get("baseline_mib", 0) if mem.get("peak_mib") else None
            rows.append([v, f"{r['trainable']:,}", fmt(r["seconds_per_step"], 3), fmt(r["clips_per_s"]),
                         fmt(peak / 1024 if peak else None, 1), fmt(r["peak_rss_mib"] / 1024, 1), fmt(r["loss"], 3)])
    if rows:
        out += ["### CUDA training step (fp32), batch 32 x 12 frames: `vopsearch-cli bench-train --variant V "
                "--batch 32 --frames 12 --steps 3 --device cuda`", "",
                table(["variant", "trainable", "s/step", "clips/s", "GPU memory used, GiB (nvidia-smi peak - idle)",
                       "host peak RSS, GiB", "loss"], rows), ""]
    rows = encode_rows(bench, "encode-cpu")
    if rows:
        out += ["### CPU on this LibTorch: `bench encode --device cpu --batch 32 --seconds 3`", "",
                table(header, rows), ""]
    if "train-cpu-vop" in bench:
        r = bench["train-cpu-vop"]
        out += [f"CPU training step (vop, batch {r['batch']} x {r['frames']} frames, {r['threads']} threads): "
                f"{r['seconds_per_step']:.2f} s/step, {r['clips_per_s']:.2f} clips/s, "
                f"peak RSS {r['peak_rss_mib'] / 1024:.1f} GiB", ""]
    for name in ("tests-cpu", "tests-cuda"):
        log = logs / f"{name}.log"
        if not log.exists():
            continue
        text = log.read_text(errors="replace")
        summary = re.findall(r"^\d+% tests passed.*$", text, re.M)
        out.append(f"### {name}: {summary[-1] if summary else 'no ctest summary (see logs)'}")
        out.append("")
        for line in text.splitlines():
            line = re.sub(r"^\d+: ", "", line)  # ctest -V prefixes each line with the test number
            if re.search(r"rel err|cosine|segment cos|skipped:|FAILED", line):
                out.append("    " + line.strip())
        out.append("")
    print("\n".join(out) if out else "(no figures: the run stopped before the benchmarks)")


if __name__ == "__main__":
    main()
