#!/usr/bin/python3
"""PyTorch side of benchmarks/forward_benchmark.cpp: the akamaster CIFAR-10 ResNet-32 (shortcut A)
fp32 forward pass over the CIFAR-10 test set, eval mode, no_grad, batch 200, N threads, with the
same preprocessing as pcmkit (byte/255, then per-channel mean/std from the weights file).
The images are decoded before the clock starts (as the C++ side does); one warm-up batch is run.
Prints one JSON line: {"images", "seconds", "images_per_s", "accuracy_percent", "threads",
"torch_version"}. Exit 3 when torch cannot be imported.
Usage: pytorch_forward.py WEIGHTS(.h5|.th) TEST_BATCH_BIN [threads=2] [batch=200]
"""
import json
import os
import sys
import time

try:
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from torch_cifar_resnet import CifarResNet  # one definition for every script
except ImportError:
    sys.exit(3)
import numpy as np


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    weights, test_file = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    torch.set_num_threads(threads)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    if weights.endswith(".h5"):
        import h5py
        with h5py.File(weights, "r") as f:
            state = {k: torch.from_numpy(np.asarray(f[k])) for k in f.keys()}
            mean = tuple(f.attrs.get("input_normalization_mean", mean))
            std = tuple(f.attrs.get("input_normalization_std", std))
    else:
        ckpt = torch.load(weights, map_location="cpu")
        state = {k.replace("module.", "", 1): v for k, v in ckpt["state_dict"].items()}
    model = CifarResNet(32)
    model.load_state_dict(state, strict=False)
    model.eval()

    raw = np.fromfile(test_file, dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    x = ((x - torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
         / torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)).contiguous()
    with torch.no_grad():
        model(x[:batch])  # warm-up
        correct = 0
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
        seconds = time.perf_counter() - start
    print(json.dumps({"images": len(x), "seconds": seconds, "images_per_s": len(x) / seconds,
                      "accuracy_percent": 100.0 * correct / len(x), "threads": threads,
                      "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
