#!/usr/bin/python3
"""PyTorch side of benchmarks/train_benchmark.cpp: training steps of a CIFAR ResNet (default
resnet32-pcm: depth 32, widths 16/28/56, projection shortcuts, biased linear) on random images
(batch B, 3x32x32, uniform in [-1, 1)) and random labels, N threads; per step zero_grad,
forward (train mode), F.cross_entropy with label smoothing 0.1, backward, SGD (lr 0.1, momentum
0.9, weight decay 5e-4). One warm-up step, then STEPS timed steps.
Prints one JSON line: {"steps", "batch", "seconds", "images_per_s", "threads", "torch_version"}.
With STEPS = serve (train_benchmark's interleaved rounds): after the warm-up prints
{"ready": true, ...}, then for each line N read from stdin times N steps and prints one JSON line;
ends at end of input or an empty line.
Exit 3 when torch cannot be imported.
Usage: pytorch_train.py [threads=2] [batch=128] [steps=10|serve] [widths=16,28,56] [depth=32]
"""
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from torch_cifar_resnet import CifarResNet  # one definition for every script
except ImportError:
    sys.exit(3)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    serve = len(sys.argv) > 3 and sys.argv[3] == "serve"
    steps = 0 if serve else int(sys.argv[3]) if len(sys.argv) > 3 else 10
    widths = [int(w) for w in (sys.argv[4] if len(sys.argv) > 4 else "16,28,56").split(",")]
    depth = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = CifarResNet(depth, widths, "B").train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(batch, 3, 32, 32) * 2 - 1
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()

    def timed(n):
        start = time.perf_counter()
        for _ in range(n):
            step()
        seconds = time.perf_counter() - start
        print(json.dumps({"steps": n, "batch": batch, "seconds": seconds,
                          "images_per_s": n * batch / seconds, "threads": threads,
                          "torch_version": torch.__version__}), flush=True)

    step()  # warm-up
    if not serve:
        timed(steps)
        return
    print(json.dumps({"ready": True, "threads": threads, "torch_version": torch.__version__}),
          flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        timed(int(line))


if __name__ == "__main__":
    main()
