#!/usr/bin/python3
"""The error bound of reused segments (issue 12, goal 4), measured.

Generates near-static clips with the ffmpeg CLI (still test patterns, the same with temporal
noise of growing strength, a slow pan, a small moving "cursor" on a still screen, a slide change),
indexes them twice with vopsearch-cli (--reuse-diff D, then -1: every segment encoded) and prints,
per clip, how many segments were reused and the worst cosine between a reused segment's stored
embedding and the embedding encoding that segment gives.

usage: tools/measure-reuse-bound.py [--cli build/app/cli/vopsearch-cli] [--checkpoint FILE]
                                    [--reuse-diff 1] [--work DIR]
Needs Debian's python3 (sqlite3 module) and the ffmpeg CLI; nothing else.
"""
import argparse
import array
import math
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name -> ffmpeg input and filter: 60 s at 640x360, 10 fps; segments of 15 s.
CLIPS = {
    "still": ("smptehdbars=size=640x360:rate=10", "null"),
    "still-noise2": ("smptehdbars=size=640x360:rate=10", "noise=alls=2:allf=t"),
    "still-noise6": ("smptehdbars=size=640x360:rate=10", "noise=alls=6:allf=t"),
    "still-noise12": ("smptehdbars=size=640x360:rate=10", "noise=alls=12:allf=t"),
    "pan": ("testsrc2=size=800x360:rate=10", "crop=640:360:'t*2':0"),
    "cursor": ("rgbtestsrc=size=640x360:rate=10",
               "drawbox=x='100+4*t':y='80+2*t':w=12:h=18:color=white:t=fill"),
    "slides": ("pal75bars=size=640x360:rate=10", "hue=h='90*floor(t/20)'"),
}


def make(dirpath):
    os.makedirs(dirpath, exist_ok=True)
    for name, (src, vf) in CLIPS.items():
        path = os.path.join(dirpath, name + ".mp4")
        if os.path.exists(path):
            continue
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", src, "-t", "60", "-vf", vf,
                        "-c:v", "libx264", "-preset", "veryfast", "-g", "20", "-pix_fmt", "yuv420p", path], check=True)
        os.utime(path, (0, 0))  # old enough to be past the indexer's settle time


def index(cli, checkpoint, lib, db, diff):
    cmd = [cli, "index", lib, "--db", db, "--json", "--quiet", "--reuse-diff", str(diff), "--precision", "fp32",
           "--settle", "0"]
    if checkpoint:
        cmd += ["--checkpoint", checkpoint]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def vectors(db):
    """{(file name, segment start): vector} of the catalog's embeddings."""
    out = {}
    con = sqlite3.connect(db)
    rows = con.execute("SELECT f.path, s.start_s, e.vector FROM embeddings e JOIN segments s ON s.id = e.segment_id "
                       "JOIN files f ON f.id = s.file_id")
    for path, start, blob in rows:
        out[(os.path.basename(path), round(start, 3))] = array.array("f", blob)
    return out


def cosine(a, b):
    ab = sum(x * y for x, y in zip(a, b))
    return ab / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build/app/cli/vopsearch-cli"))
    ap.add_argument("--checkpoint", default=os.path.join(ROOT, "../shared/fixtures/clip-toy/model.safetensors"))
    ap.add_argument("--reuse-diff", type=float, default=1.0)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "vopsearch-reuse-bound"))
    a = ap.parse_args()
    lib = os.path.join(a.work, "library")
    make(lib)
    on, off = os.path.join(a.work, "on.sqlite3"), os.path.join(a.work, "off.sqlite3")
    for db in (on, off):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    index(a.cli, a.checkpoint, lib, on, a.reuse_diff)
    index(a.cli, a.checkpoint, lib, off, -1)
    von, voff = vectors(on), vectors(off)
    print(f"checkpoint {os.path.basename(a.checkpoint)}, --reuse-diff {a.reuse_diff}")
    print(f"{'clip':<15} {'segments':>8} {'reused':>6} {'worst cosine (reused)':>22}")
    worst_all = 1.0
    for name in CLIPS:
        keys = sorted(k for k in voff if k[0] == name + ".mp4")
        reused, worst = 0, 1.0
        for i, k in enumerate(keys):
            if i > 0 and any(von[k] == von[j] for j in keys[:i]):
                reused += 1
                worst = min(worst, cosine(von[k], voff[k]))
        worst_all = min(worst_all, worst)
        print(f"{name:<15} {len(keys):>8} {reused:>6} {worst if reused else float('nan'):>22.6f}")
    print(f"worst over all reused segments: {worst_all:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
