#!/usr/bin/python3
"""PyTorch side of benchmarks/train_benchmark.cpp: training steps of a CIFAR ResNet (default
resnet32-pcm: depth 32, widths 16/28/56, projection shortcuts, biased linear) on random images
(batch B, 3x32x32, uniform in [-1, 1)) and random labels, N threads; per step zero_grad,
forward (train mode), F.cross_entropy with label smoothing 0.1, backward, SGD (lr 0.1, momentum
0.9, weight decay 5e-4). One warm-up step, then STEPS timed steps.
Prints one JSON line: {"steps", "batch", "seconds", "images_per_s", "threads", "torch_version"}.
Exit 3 when torch cannot be imported.
Usage: pytorch_train.py [threads=2] [batch=128] [steps=10] [widths=16,28,56] [depth=32]
"""
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit(3)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class CifarResNet(nn.Module):
    def __init__(self, depth, widths):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, in_planes = [], widths[0]
        for planes, stride in zip(widths, (1, 2, 2)):
            for b in range(n):
                layers.append(BasicBlock(in_planes, planes, stride if b == 0 else 1))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(in_planes, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    widths = [int(w) for w in (sys.argv[4] if len(sys.argv) > 4 else "16,28,56").split(",")]
    depth = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = CifarResNet(depth, widths).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(batch, 3, 32, 32) * 2 - 1
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"steps": steps, "batch": batch, "seconds": seconds,
                      "images_per_s": steps * batch / seconds, "threads": threads,
                      "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
