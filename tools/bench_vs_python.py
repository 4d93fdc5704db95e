#!/usr/bin/python3
"""Side by side: `vopsearch-cli index` against the Python research stack (tools/py_index_stack.py)
on the same files, same frames per video, same random ViT-B/32 weights, same machine (issue 12).

  tools/bench_vs_python.py [--clips 16] [--rounds 3] [--dir /tmp/vopsearch-vs-python]
                           [--cli build/app/cli/vopsearch-cli] [--frames 12] [--precision auto]

The library is made once by `vopsearch-cli bench-index --clips N --library DIR/library-N` (10 s
clips, 640x360 h264, 25 fps, 2 s GOP; that first indexing run is not counted); the random
checkpoint once by py_index_stack.py --write-random-checkpoint. Then R rounds, the two sides in
alternating order, each a whole process from a fresh catalog / index folder (model load
included). Prints each time, the medians and the median of the per-round ratios
(Python / vopsearch: > 1 means vopsearch is faster), and the load average before and after.
Exits 1 when the two sides did not sample the same number of frames and segments. At the end it
compares the two sides' segment embeddings (the catalog's vectors against the ones read back from
the hnswlib index): the cosine of each segment across the sides, against the cosine between
different segments, and whether each one's nearest on the other side is itself (random weights
put all embeddings in a narrow cone, so two different clips can be as close as 0.9996).
Run it nice'd on a shared machine (nice -n 10) and report the load with the figures.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)


def run_timed(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    return seconds, json.loads(p.stdout)


def prepare(a):
    library = os.path.join(a.dir, "library-%d" % a.clips)
    if len([n for n in os.listdir(library) if n.endswith(".mp4")] if os.path.isdir(library) else []) < a.clips:
        print("generating %d clips in %s (vopsearch-cli bench-index; its timing is not used)" % (a.clips, library))
        subprocess.run([a.cli, "bench-index", "--clips", str(a.clips), "--library", library, "--device", "cpu",
                        "--json"], check=True, stdout=subprocess.DEVNULL)
    checkpoint = os.path.join(a.dir, "vit-b-32-random.safetensors")
    if not os.path.exists(checkpoint):
        print("writing random ViT-B/32 weights to", checkpoint)
        subprocess.run([sys.executable, os.path.join(TOOLS, "py_index_stack.py"), "--write-random-checkpoint",
                        checkpoint], check=True)
    return library, checkpoint


def cpp_side(a, library, checkpoint):
    db = os.path.join(a.dir, "catalog.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    shutil.rmtree(db + ".index", ignore_errors=True)
    seconds, j = run_timed([a.cli, "index", library, "--db", db, "--checkpoint", checkpoint, "--vocab", a.vocab,
                            "--device", "cpu", "--frames", str(a.frames), "--precision", a.precision, "--json", "--quiet"])
    return seconds, {"videos": len(j["indexed"]), "segments": j["segments"], "frames": j["frames"],
                     "failed": len(j["failed"]) + len(j["skipped"])}


def python_side(a, library, checkpoint):
    out = os.path.join(a.dir, "py-index")
    shutil.rmtree(out, ignore_errors=True)
    seconds, j = run_timed([sys.executable, os.path.join(TOOLS, "py_index_stack.py"), library, "--checkpoint",
                            checkpoint, "--out", out, "--frames", str(a.frames), "--json"])
    return seconds, {"videos": j["videos"], "segments": j["segments"], "frames": j["frames"], "failed": 0,
                     "stages": j["seconds"]}


def python_vectors(out):
    import hnswlib
    with open(os.path.join(out, "segments.json")) as f:
        keys = json.load(f)
    index = hnswlib.Index(space="cosine", dim=512)
    index.load_index(os.path.join(out, "segments.hnsw"))
    vectors = index.get_items(list(range(len(keys))))
    return {(k[0], round(k[1], 3)): v for k, v in zip(keys, vectors)}


def catalog_vectors(db):
    import sqlite3
    import numpy as np
    con = sqlite3.connect(db)
    rows = con.execute("SELECT f.path, s.start_s, e.vector FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                       "JOIN files f ON s.file_id = f.id").fetchall()
    con.close()
    return {(os.path.abspath(p), round(s, 3)): np.frombuffer(v, dtype=np.float32) for p, s, v in rows}


def compare_embeddings(a):
    """Cosine of each segment on both sides, and between different segments (the baseline)."""
    import numpy as np
    cpp = catalog_vectors(os.path.join(a.dir, "catalog.sqlite3"))
    py = python_vectors(os.path.join(a.dir, "py-index"))
    keys = sorted(set(cpp) & set(py))
    if not keys or len(keys) != len(cpp) or len(keys) != len(py):
        print("embeddings: the two sides' segments differ (%d vs %d, %d in common)" % (len(cpp), len(py), len(keys)))
        return False
    unit = lambda v: np.asarray(v, dtype=np.float64) / np.linalg.norm(v)
    C = np.stack([unit(cpp[k]) for k in keys])
    P = np.stack([unit(py[k]) for k in keys])
    cos = C @ P.T
    same = np.diag(cos)
    other = cos[~np.eye(len(keys), dtype=bool)]
    nearest_is_self = bool((cos.argmax(1) == np.arange(len(keys))).all())
    print("embeddings, same segment on both sides: cosine min %.4f median %.4f; different segments: median %.4f "
          "max %.4f; every segment's nearest on the other side is itself: %s"
          % (same.min(), np.median(same), np.median(other), other.max(), "yes" if nearest_is_self else "NO"))
    return nearest_is_self


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--precision", default="auto", help="vopsearch's --precision (auto|fp32|int8); Python is fp32")
    ap.add_argument("--dir", default="/tmp/vopsearch-vs-python")
    ap.add_argument("--cli", default=os.path.join(ROOT, "build/app/cli/vopsearch-cli"))
    ap.add_argument("--vocab", default=os.path.join(ROOT, "resources/bpe_simple_vocab_16e6.txt.gz"))
    a = ap.parse_args(argv)
    os.makedirs(a.dir, exist_ok=True)
    library, checkpoint = prepare(a)
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    times = {"vopsearch": [], "python": []}
    ok = True
    for r in range(a.rounds):
        order = [("vopsearch", cpp_side), ("python", python_side)]
        if r % 2:
            order.reverse()
        counts = {}
        for name, side in order:
            seconds, counts[name] = side(a, library, checkpoint)
            times[name].append(seconds)
            print("round %d  %-9s %7.2f s  %s" % (r + 1, name, seconds, counts[name]), flush=True)
        c, p = counts["vopsearch"], counts["python"]
        if (c["videos"], c["segments"], c["frames"]) != (p["videos"], p["segments"], p["frames"]) or c["failed"]:
            print("MISMATCH: the two sides did not index the same videos, segments and frames")
            ok = False
    ratios = [p / c for p, c in zip(times["python"], times["vopsearch"])]
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    if not compare_embeddings(a):
        print("MISMATCH: some segment's nearest on the other side is another video's")
        ok = False
    print("median vopsearch %.2f s, python %.2f s; per-round ratios %s; median ratio (python / vopsearch) %.2fx"
          % (statistics.median(times["vopsearch"]), statistics.median(times["python"]),
             " ".join("%.2f" % x for x in ratios), statistics.median(ratios)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
