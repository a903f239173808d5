#!/usr/bin/python3
"""Writes tests/nn/data/training_fixture.h5: two PyTorch training steps of a small CIFAR ResNet,
the reference for tests/nn/training_step_test.cpp.

The network is pcmkit's make_cifar_resnet({depth 8, widths 4/6/8, shortcut B}): conv1-bn1-relu,
three stages of one BasicBlock (stride 1, 2, 2; projection shortcuts "shortcut.0/.1" where the
shape changes), global average pooling, linear 8 -> 10 with bias. Inputs are 8 images of 3x12x12
per batch. PyTorch computes in float64 from float32 initial weights and images (exactly
representable), so the reference carries no float32 rounding; results are stored as float32.

Steps t = 0, 1 (batch t): zero_grad; logits = model(images) in train mode; loss =
F.cross_entropy(logits, labels, label_smoothing=0.1); backward; record; SGD step with
lr = LR[t], momentum 0.9, nesterov, weight_decay 5e-4 (torch.optim.SGD, decay on everything).

Layout (few datasets, to keep the file small): every tensor group is ONE flat float32 array,
the tensors concatenated in state_dict order (without num_batches_tracked), which is also
pcmkit's Network::parameters() order; /state_names holds those keys, newline-joined, as uint8.
/initial and /final: every tensor (before and after both steps); /batch<t>/images,
/batch<t>/labels (int32), /batch<t>/logits, /batch<t>/loss (float64 scalar),
/batch<t>/num_correct (int32 scalar), /batch<t>/grad (the trainable tensors, i.e. the keys
without "running_"), /batch<t>/running (the running_mean/running_var tensors after the forward
pass). Root attributes: learning_rates, momentum, weight_decay, label_smoothing, torch_version.

Usage: /usr/bin/python3 tools/make_training_fixture.py [-o tests/nn/data/training_fixture.h5]
Needs torch, numpy and h5py; pcmkit's build and tests do not.
"""

import argparse
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cifar_resnet import CifarResNet  # noqa: E402  (one definition for every script)

LR = (0.1, 0.05)
MOMENTUM, WEIGHT_DECAY, LABEL_SMOOTHING = 0.9, 5e-4, 0.1
WIDTHS, BATCH, SIDE = (4, 6, 8), 8, 12


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def flat(tensors):
    return np.concatenate([t.numpy().astype(np.float32).ravel() for t in tensors])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", default=os.path.join(os.path.dirname(__file__), "..", "tests", "nn",
                                                   "data", "training_fixture.h5"))
    args = parser.parse_args()
    torch.manual_seed(20240604)
    model = CifarResNet(8, WIDTHS, "B")
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):  # away from the identity, so that γ, β matter
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.float()
    initial = state(model)
    batches = [(torch.rand(BATCH, 3, SIDE, SIDE) * 2 - 1, torch.randint(0, 10, (BATCH,)))
               for _ in LR]
    model.double().train()
    opt = torch.optim.SGD(model.parameters(), lr=LR[0], momentum=MOMENTUM, nesterov=True,
                          weight_decay=WEIGHT_DECAY)
    with h5py.File(args.o, "w") as f:
        f.attrs["learning_rates"] = np.array(LR)
        f.attrs["momentum"] = MOMENTUM
        f.attrs["weight_decay"] = WEIGHT_DECAY
        f.attrs["label_smoothing"] = LABEL_SMOOTHING
        f.attrs["torch_version"] = str(torch.__version__).encode()
        f["state_names"] = np.frombuffer("\n".join(initial.keys()).encode(), dtype=np.uint8)
        f["initial"] = flat(initial.values())
        trainable = [k for k in initial if "running_" not in k]
        assert trainable == [k for k, _ in model.named_parameters()]
        for t, (images, labels) in enumerate(batches):
            g = f.create_group(f"batch{t}")
            g["images"] = images.numpy().astype(np.float32)
            g["labels"] = labels.numpy().astype(np.int32)
            for group in opt.param_groups:
                group["lr"] = LR[t]
            opt.zero_grad()
            logits = model(images.double())
            loss = F.cross_entropy(logits, labels, label_smoothing=LABEL_SMOOTHING)
            loss.backward()
            g["logits"] = logits.detach().numpy().astype(np.float32)
            g["loss"] = loss.item()
            g["num_correct"] = np.int32((logits.argmax(1) == labels).sum().item())
            g["grad"] = flat(p.grad for p in model.parameters())
            g["running"] = flat(v for k, v in state(model).items() if "running_" in k)
            opt.step()
        f["final"] = flat(state(model).values())
    print(f"wrote {args.o} ({os.path.getsize(args.o)} bytes)")


if __name__ == "__main__":
    main()
