#!/usr/bin/env python3
"""Export a PyTorch checkpoint to the HDF5 weights file that `pcmkit evaluate --weights` reads.

Writes one float32 dataset per state_dict tensor at the file's root, named by its key
(`conv1.weight`, `layer1.0.bn1.running_var`, `fc.bias`, ...; the dots are part of the name),
skipping BatchNorm `num_batches_tracked`, plus the root attributes `arch`,
`input_normalization_mean` and `input_normalization_std` (float32, one per input channel).

The checkpoint may be a state_dict, a dict holding one under 'state_dict' (or --key), or a
pickled nn.Module; a 'module.' prefix (DataParallel) is removed. torch.load unpickles the file:
only export checkpoints you trust.

Example:
  python3 tools/export_pytorch_weights.py resnet20-12fca82f.th -o resnet20.h5 --arch resnet20
  pcmkit evaluate --device ideal --weights resnet20.h5 --arch resnet20 -o results/

Needs torch, numpy and h5py (not needed by pcmkit itself).
"""

import argparse
import os
import sys
import tempfile

import h5py
import numpy as np
import torch

IMAGENET_MEAN = "0.485,0.456,0.406"
IMAGENET_STD = "0.229,0.224,0.225"


def parse_floats(text, name):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise SystemExit(f"export_pytorch_weights: error: --{name}: not a comma-separated list: {text!r}")
    return np.asarray(values, dtype=np.float32)


def load_state_dict(path, key):
    checkpoint = torch.load(path, map_location="cpu")
    if isinstance(checkpoint, torch.nn.Module):
        checkpoint = checkpoint.state_dict()
    if isinstance(checkpoint, dict) and key in checkpoint and isinstance(checkpoint[key], dict):
        checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict) or not checkpoint:
        raise SystemExit(f"export_pytorch_weights: error: {path}: no state_dict found "
                         f"(expected a dict of tensors, or one under '{key}')")
    state = {}
    for name, value in checkpoint.items():
        if name.startswith("module."):
            name = name[len("module."):]
        if name.endswith("num_batches_tracked"):
            continue
        if not torch.is_tensor(value):
            raise SystemExit(f"export_pytorch_weights: error: {path}: {name}: not a tensor "
                             f"({type(value).__name__})")
        state[name] = value.detach().cpu().to(torch.float32).contiguous().numpy()
    return state


def main():
    parser = argparse.ArgumentParser(
        description="Export a PyTorch checkpoint (.pth/.th) to pcmkit's HDF5 weights format.",
        epilog="Example: %(prog)s resnet20-12fca82f.th -o resnet20.h5 --arch resnet20")
    parser.add_argument("checkpoint", help="PyTorch checkpoint file (.pth, .th, .pt)")
    parser.add_argument("-o", "--output", required=True, help="HDF5 file to write")
    parser.add_argument("--arch", required=True,
                        help="pcmkit architecture name stored as attribute 'arch' "
                             "(resnet20/32/44/56, resnet18/34)")
    parser.add_argument("--mean", default=IMAGENET_MEAN,
                        help="per-channel input mean, pixels in [0, 1] (default: ImageNet, %(default)s)")
    parser.add_argument("--std", default=IMAGENET_STD,
                        help="per-channel input std (default: ImageNet, %(default)s)")
    parser.add_argument("--key", default="state_dict",
                        help="dict key holding the state_dict in the checkpoint (default: %(default)s)")
    args = parser.parse_args()

    mean = parse_floats(args.mean, "mean")
    std = parse_floats(args.std, "std")
    if mean.size != std.size:
        raise SystemExit("export_pytorch_weights: error: --mean and --std differ in length")
    if not np.all(std > 0):
        raise SystemExit("export_pytorch_weights: error: --std: every value must be > 0")
    state = load_state_dict(args.checkpoint, args.key)

    # Written to a temporary file beside the output and renamed, so no partial file is left.
    out_dir = os.path.dirname(os.path.abspath(args.output))
    fd, tmp = tempfile.mkstemp(suffix=".h5.tmp", dir=out_dir)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as h5:
            for name, array in state.items():
                h5.create_dataset(name, data=array)
            h5.attrs["arch"] = args.arch
            h5.attrs["input_normalization_mean"] = mean
            h5.attrs["input_normalization_std"] = std
        os.replace(tmp, args.output)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"{args.output}: {len(state)} tensors, "
          f"{sum(a.size for a in state.values())} values, arch {args.arch}")


if __name__ == "__main__":
    sys.exit(main())
