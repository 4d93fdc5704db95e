#!/usr/bin/python3
"""Index a folder of videos as a Python research codebase (X-Pool style) would: the other side of
issue 12's side-by-side benchmark (tools/bench-vs-python.sh runs both).

  - frames: OpenCV (cv2.VideoCapture), seek to a frame index and read, at the times vopsearch's
    indexer samples (core/media/Segments.cpp planSegments, core/media/FrameSampler.cpp
    sampleTimes: F frames at the middles of F equal parts of each segment);
  - preprocessing: Pillow, as CLIP's torchvision transform (bicubic resize of the shorter side,
    centre crop, normalise): tools/vop_reference.py preprocess;
  - model: the reference CLIP of tools/vop_reference.py, fp32, torch's default threads;
  - one embedding per segment: frame embeddings normalised, averaged, normalised;
  - an hnswlib index (cosine, M=16, efConstruction=200) saved to --out (segments.hnsw, with
    segments.json: [path, start, end] of each vector, in the index's order).
Run with Debian's python3 (/usr/bin/python3: python3-torch, python3-opencv, python3-pil,
python3-hnswlib). Prints one JSON object (--json) or a summary: videos, segments, frames per
video, and the time of each stage; the whole-process time is the caller's to measure.

  py_index_stack.py ROOT --checkpoint CLIP.safetensors --out DIR [--frames 12] [--json]
  py_index_stack.py --write-random-checkpoint PATH   (random ViT-B/32 weights, fp16 safetensors)
"""
import argparse
import json
import math
import os
import sys
import time

T0 = time.monotonic()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import vop_reference as ref  # noqa: E402

VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mkv", ".mov", ".avi", ".webm", ".mpg", ".mpeg", ".ts", ".wmv", ".flv"}


def plan_segments(duration, segment_max=30.0, window=15.0, overlap=0.0):
    """[(start, end)]: one segment up to segment_max, else windows; a short tail joins the last."""
    if not math.isfinite(duration) or duration <= 0:
        return [(0.0, max(duration, 0.0) if math.isfinite(duration) else 0.0)]
    if duration <= segment_max:
        return [(0.0, duration)]
    step, out, i = window - overlap, [], 0
    while True:
        start = i * step
        end = min(start + window, duration)
        out.append((start, end))
        if end >= duration:
            break
        i += 1
    if len(out) >= 2 and out[-1][1] - out[-2][1] < window / 3:
        out.pop()
        out[-1] = (out[-1][0], duration)
    return out


def sample_times(start, end, count):
    span = max(0.0, end - start)
    return [start + (i + 0.5) * span / count for i in range(count)]


def read_frames(cap, fps, count, times):
    """The frame shown at each time: index floor(t * fps), seek by index and read (X-Pool's way)."""
    import cv2
    from PIL import Image
    frames = []
    for t in times:
        index = min(int(t * fps), max(count - 1, 0))
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = cap.read()
        if not ok:
            raise RuntimeError("could not read frame %d" % index)
        frames.append(Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return frames


def video_files(root):
    for dirpath, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            if os.path.splitext(n)[1].lower() in VIDEO_EXTENSIONS:
                yield os.path.join(dirpath, n)


class Timer:
    def __init__(self):
        self.totals = {}

    def add(self, stage, t0):
        self.totals[stage] = self.totals.get(stage, 0.0) + time.monotonic() - t0


def index_videos(args):
    import cv2
    import hnswlib
    timer = Timer()
    t = time.monotonic()
    clip = ref.Clip.from_file(args.checkpoint)
    timer.add("load", t)
    embeddings, per_video, keys = [], {}, []
    for path in video_files(args.root):
        t = time.monotonic()
        cap = cv2.VideoCapture(path)
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        segments = plan_segments(count / fps if fps > 0 else 0.0, args.segment_max, args.window, args.overlap)
        batches = [read_frames(cap, fps, count, sample_times(s, e, args.frames)) for s, e in segments]
        cap.release()
        pixels = torch.stack([ref.preprocess(im, clip.resolution) for b in batches for im in b])
        timer.add("decode+preprocess", t)
        t = time.monotonic()
        with torch.no_grad():
            e = clip.encode_image(pixels).reshape(len(segments), args.frames, -1)
            embeddings.append(ref.pool_frames(e))
        timer.add("encode", t)
        per_video[path] = len(segments) * args.frames
        keys += [[os.path.abspath(path), s, e] for s, e in segments]
    t = time.monotonic()
    vectors = torch.cat(embeddings).numpy() if embeddings else None
    os.makedirs(args.out, exist_ok=True)
    if vectors is not None:
        index = hnswlib.Index(space="cosine", dim=vectors.shape[1])
        index.init_index(max_elements=len(vectors), ef_construction=200, M=16)
        index.add_items(vectors, list(range(len(vectors))))
        index.save_index(os.path.join(args.out, "segments.hnsw"))
        with open(os.path.join(args.out, "segments.json"), "w") as f:  # [path, start, end] per vector
            json.dump(keys, f)
    timer.add("index", t)
    return {"videos": len(per_video), "segments": 0 if vectors is None else len(vectors),
            "frames_per_video": sorted(set(per_video.values())), "frames": sum(per_video.values()),
            "seconds": {k: round(v, 3) for k, v in timer.totals.items()},
            "process_seconds": round(time.monotonic() - T0, 3), "torch_threads": torch.get_num_threads()}


def write_random_vit_b_32(path, seed=0):
    """OpenAI CLIP ViT-B/32 shapes with CLIP's initialisation scales, fp16 (as the released file)."""
    g = torch.Generator().manual_seed(seed)
    w = {}

    def normal(name, shape, std):
        w[name] = (torch.randn(shape, generator=g) * std).to(torch.float16)

    def ones_zeros(prefix, width):
        w[prefix + ".weight"] = torch.ones(width, dtype=torch.float16)
        w[prefix + ".bias"] = torch.zeros(width, dtype=torch.float16)

    def tower(prefix, width, layers):
        for i in range(layers):
            p = "%s.resblocks.%d." % (prefix, i)
            normal(p + "attn.in_proj_weight", (3 * width, width), width ** -0.5)
            w[p + "attn.in_proj_bias"] = torch.zeros(3 * width, dtype=torch.float16)
            normal(p + "attn.out_proj.weight", (width, width), width ** -0.5 * (2 * layers) ** -0.5)
            w[p + "attn.out_proj.bias"] = torch.zeros(width, dtype=torch.float16)
            normal(p + "mlp.c_fc.weight", (4 * width, width), (2 * width) ** -0.5)
            w[p + "mlp.c_fc.bias"] = torch.zeros(4 * width, dtype=torch.float16)
            normal(p + "mlp.c_proj.weight", (width, 4 * width), width ** -0.5 * (2 * layers) ** -0.5)
            w[p + "mlp.c_proj.bias"] = torch.zeros(width, dtype=torch.float16)
            ones_zeros(p + "ln_1", width)
            ones_zeros(p + "ln_2", width)

    D, W, E = 768, 512, 512
    normal("visual.conv1.weight", (D, 3, 32, 32), 0.02)
    normal("visual.class_embedding", (D,), D ** -0.5)
    normal("visual.positional_embedding", (50, D), D ** -0.5)
    ones_zeros("visual.ln_pre", D)
    tower("visual.transformer", D, 12)
    ones_zeros("visual.ln_post", D)
    normal("visual.proj", (D, E), D ** -0.5)
    normal("token_embedding.weight", (49408, W), 0.02)
    normal("positional_embedding", (77, W), 0.01)
    tower("transformer", W, 12)
    ones_zeros("ln_final", W)
    normal("text_projection", (W, E), W ** -0.5)
    w["logit_scale"] = torch.tensor(math.log(1 / 0.07), dtype=torch.float32)
    ref.write_safetensors(path, w, {"format": "pt", "source": "random ViT-B/32 (tools/py_index_stack.py)"})


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?")
    ap.add_argument("--checkpoint")
    ap.add_argument("--out")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--segment-max", type=float, default=30.0)
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--overlap", type=float, default=0.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--write-random-checkpoint", metavar="PATH")
    a = ap.parse_args(argv)
    if a.write_random_checkpoint:
        write_random_vit_b_32(a.write_random_checkpoint)
        return 0
    if not (a.root and a.checkpoint and a.out):
        ap.error("ROOT, --checkpoint and --out are required")
    if not os.path.isdir(a.root):
        ap.error("'%s' is not a folder" % a.root)
    result = index_videos(a)
    if a.json:
        print(json.dumps(result))
    else:
        print("%(videos)d videos, %(segments)d segments, %(frames)d frames; frames per video %(frames_per_video)s" % result)
        print("stages (s): %s; process %.2f s, %d torch threads" % (result["seconds"], result["process_seconds"],
                                                                   result["torch_threads"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
