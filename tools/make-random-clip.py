#!/usr/bin/python3
"""Writes a randomly initialised ViT-B/32-shaped CLIP checkpoint in the official naming, as
safetensors and as a TorchScript archive (the layout of OpenAI's ViT-B-32.pt: named parameters
and buffers, fp16 like the published file). For speed measurements of loading and searching
(docs/BENCHMARKS.md, issue 12) where no real checkpoint is available; the weights mean nothing.

    /usr/bin/python3 tools/make-random-clip.py OUT_DIR [--dtype fp16|fp32] [--seed N]

Needs Debian's python3-torch (not the pyenv python3 on PATH). Writes OUT_DIR/ViT-B-32-random.pt
and OUT_DIR/ViT-B-32-random.safetensors.
"""
import argparse
import json
import os
import struct

import torch
from torch import nn

WIDTH, LAYERS, PATCH, RES = 768, 12, 32, 224
TEXT_WIDTH, TEXT_LAYERS, EMBED, VOCAB, CONTEXT = 512, 12, 512, 49408, 77


class Mlp(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.c_fc = nn.Linear(w, 4 * w)
        self.c_proj = nn.Linear(4 * w, w)

    def forward(self, x):
        return x


class Block(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.attn = nn.MultiheadAttention(w, w // 64)
        self.ln_1 = nn.LayerNorm(w)
        self.mlp = Mlp(w)
        self.ln_2 = nn.LayerNorm(w)

    def forward(self, x):
        return x


class Transformer(nn.Module):
    def __init__(self, w, layers):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(w) for _ in range(layers)])

    def forward(self, x):
        return x


class Visual(nn.Module):
    def __init__(self):
        super().__init__()
        grid = RES // PATCH
        self.conv1 = nn.Conv2d(3, WIDTH, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(WIDTH) * WIDTH ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, WIDTH) * WIDTH ** -0.5)
        self.ln_pre = nn.LayerNorm(WIDTH)
        self.transformer = Transformer(WIDTH, LAYERS)
        self.ln_post = nn.LayerNorm(WIDTH)
        self.proj = nn.Parameter(torch.randn(WIDTH, EMBED) * WIDTH ** -0.5)

    def forward(self, x):
        return x


class Clip(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        self.token_embedding = nn.Embedding(VOCAB, TEXT_WIDTH)
        self.positional_embedding = nn.Parameter(torch.randn(CONTEXT, TEXT_WIDTH) * 0.01)
        self.transformer = Transformer(TEXT_WIDTH, TEXT_LAYERS)
        self.ln_final = nn.LayerNorm(TEXT_WIDTH)
        self.text_projection = nn.Parameter(torch.randn(TEXT_WIDTH, EMBED) * TEXT_WIDTH ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(4.6052))
        self.register_buffer("input_resolution", torch.tensor(RES))
        self.register_buffer("context_length", torch.tensor(CONTEXT))
        self.register_buffer("vocab_size", torch.tensor(VOCAB))

    def forward(self, x):
        return x


def write_safetensors(path, tensors):
    names = {torch.float16: "F16", torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--dtype", choices=["fp16", "fp32"], default="fp16")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = Clip().eval()
    dtype = torch.float16 if a.dtype == "fp16" else torch.float32
    with torch.no_grad():
        for n, t in model.named_parameters():
            if t.dim() == 2 and "embedding" not in n and n not in ("visual.proj", "text_projection"):
                t.normal_(0, t.shape[1] ** -0.5)
    model = model.to(dtype)
    for name in ("input_resolution", "context_length", "vocab_size"):
        setattr(model, name, getattr(model, name).to(torch.int64))
    os.makedirs(a.out_dir, exist_ok=True)
    base = os.path.join(a.out_dir, "ViT-B-32-random")
    torch.jit.script(model).save(base + ".pt")
    state = {n: t.detach() for n, t in model.state_dict().items()}
    write_safetensors(base + ".safetensors", state)
    print(base + ".pt", base + ".safetensors")


if __name__ == "__main__":
    main()
