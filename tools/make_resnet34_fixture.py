#!/usr/bin/env python3
"""Writes tests/data/resnet34_fixture.h5: torchvision ResNet-18/34 logits for formula-made weights.

The real ImageNet weights (87 MB for ResNet-34) cannot be committed, so every parameter and buffer
of torchvision.models.resnet18()/resnet34() is set by a formula that C++ reproduces bit for bit
(tests/nn/imagenet_resnet_exactness_test.cpp), and so are two 3x224x224 input images. Every
value is a small integer times a power of two, so it is exact in float32 in both languages: no
rounding at all is involved in making it.

  u(j, k) = (m - 1001) / 1024,  m = (31 r^2 + (7919 + 7 j) r + 577 q + 104729 j) mod 2003,
            r = k mod 2003, q = (k div 2003) mod 2003              (|u| <= 1001/1024)

for the k-th element (row-major) of the j-th tensor. Tensors are numbered in state_dict order
without the num_batches_tracked buffers (the fixture stores the names, in that order), and
  conv / linear weight (ndim >= 2):    u * 2^(1 - e), 2^e the least power of two >= sqrt(fan_in)
  BatchNorm weight, running_var:       1 + u / 2   (in [0.51, 1.49])
  BatchNorm bias, running_mean, fc bias: u / 4
  input image i (0, 1), element k = (c H + y) W + x of its C×H×W values:
    u(1000 + i, k) * b / 2,  b = ((3 + i) Y^2 + (5 + 2 i) X Y + (7 + i) c) mod 9,
    Y = y div 28, X = x div 28
  (a contrast that varies over 8×8 blocks, differently in the two images, so that their
  logits differ: global average pooling all but removes a change of the noise pattern alone).

The fixture holds the formula's constants (root attributes), and per architecture group
("resnet18", "resnet34"): parameter_names (state_dict order), parameter_sums (float64 sum of each
tensor's values, exact) and logits (2 x 1000 float32, the model in eval mode, 2 threads),
plus input_sums (float64, exact).

Usage: /usr/bin/python3 tools/make_resnet34_fixture.py [-o tests/data/resnet34_fixture.h5]
Needs torch, torchvision, numpy and h5py; pcmkit's build and tests do not.
"""

import argparse
import os

import h5py
import numpy as np
import torch
import torchvision

MODULUS = 2003
A, B, C, D, E = 31, 7919, 577, 104729, 7
OFFSET = 1001
DENOMINATOR = 1024
INPUT_TENSOR_BASE = 1000
BLOCK = 28
NUM_IMAGES = 2
IMAGE_SIZE = 224


def u(j, n):
    """u(j, k) for k = 0..n-1, as float64 (exact)."""
    k = np.arange(n, dtype=np.int64)
    r = k % MODULUS
    q = (k // MODULUS) % MODULUS
    m = (A * r * r + (B + E * j) * r + C * q + D * j) % MODULUS
    return (m - OFFSET).astype(np.float64) / DENOMINATOR


def weight_scale_exponent(fan_in):
    """Least e with 2^e >= sqrt(fan_in), i.e. 4^e >= fan_in."""
    e = 0
    while 4**e < fan_in:
        e += 1
    return e


def tensor_values(name, shape, j):
    n = int(np.prod(shape))
    v = u(j, n)
    if len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        v = v * 2.0 ** (1 - weight_scale_exponent(fan_in))
    elif name.endswith("running_var") or name.endswith(".weight"):
        v = 1.0 + v / 2
    else:
        v = v / 4
    v32 = v.astype(np.float32)
    assert np.array_equal(v32.astype(np.float64), v), name  # exact in float32
    return v32.reshape(shape)


def fill(model):
    names = []
    state = model.state_dict()
    for name, tensor in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        j = len(names)
        names.append(name)
        tensor.copy_(torch.from_numpy(tensor_values(name, tuple(tensor.shape), j)))
    return names


def inputs():
    c, y, x = np.meshgrid(np.arange(3), np.arange(IMAGE_SIZE), np.arange(IMAGE_SIZE),
                          indexing="ij")
    big_y, big_x = y // BLOCK, x // BLOCK
    images = []
    for i in range(NUM_IMAGES):
        b = ((3 + i) * big_y * big_y + (5 + 2 * i) * big_x * big_y + (7 + i) * c) % 9
        images.append(u(INPUT_TENSOR_BASE + i, b.size).reshape(b.shape) * b / 2)
    x = np.stack(images)
    x32 = x.astype(np.float32)
    assert np.array_equal(x32.astype(np.float64), x)  # exact in float32
    return torch.from_numpy(x32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "resnet34_fixture.h5"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    x = inputs()
    with h5py.File(args.output, "w", libver="latest") as h5:  # compact metadata
        h5.attrs["description"] = ("torchvision ResNet-18/34 logits for formula-made weights and "
                                   "inputs; written by tools/make_resnet34_fixture.py")
        h5.attrs["modulus"] = MODULUS
        h5.attrs["coefficients"] = np.array([A, B, C, D, E], dtype=np.int64)
        h5.attrs["offset"] = OFFSET
        h5.attrs["denominator"] = DENOMINATOR
        h5.attrs["input_tensor_base"] = INPUT_TENSOR_BASE
        h5.attrs["block"] = BLOCK
        h5.attrs["image_shape"] = np.array([NUM_IMAGES, 3, IMAGE_SIZE, IMAGE_SIZE], dtype=np.int64)
        h5.attrs["torch_version"] = str(torch.__version__)
        h5.attrs["torchvision_version"] = str(torchvision.__version__)
        h5.create_dataset("input_sums", data=x.double().sum(dim=(1, 2, 3)).numpy())
        for depth in (18, 34):
            model = getattr(torchvision.models, f"resnet{depth}")()
            model.eval()
            with torch.no_grad():
                names = fill(model)
                logits = model(x).numpy().astype(np.float32)
            sums = [model.state_dict()[n].double().sum().item() for n in names]
            group = h5.create_group(f"resnet{depth}")
            # Fixed-length strings, so that they compress.
            group.create_dataset("parameter_names", data=np.array(names, dtype=np.bytes_),
                                 compression="gzip", compression_opts=9)
            group.create_dataset("parameter_sums", data=np.array(sums, dtype=np.float64),
                                 compression="gzip", compression_opts=9)
            group.create_dataset("logits", data=logits, compression="gzip", compression_opts=9,
                                 shuffle=True)
            print(f"resnet{depth}: {len(names)} tensors, logits mean {logits.mean():.4f} "
                  f"std {logits.std():.4f} max|.| {np.abs(logits).max():.4f}, "
                  f"argmax {logits.argmax(axis=1).tolist()}, "
                  f"image difference std {(logits[0] - logits[1]).std():.4f}")
    print(f"wrote {args.output} ({os.path.getsize(args.output)} bytes)")


if __name__ == "__main__":
    main()
