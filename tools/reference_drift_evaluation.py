#!/usr/bin/python3
"""Independent reference for `pcmkit evaluate` (issue #3, section 4): accuracy of a CIFAR-10
ResNet-32 (akamaster's .th or .h5, or pcmkit's resnet32-pcm .h5, whose arch and input
normalisation the file names) mapped onto differential PCM pairs, against time, with none / GDC /
AdaBS.

Written from the equations in lib/pcmkit/device/pcm_model.h and the definitions in
lib/pcmkit/experiment/drift_evaluation.h and lib/pcmkit/analog/programmed_weights.h, in
PyTorch + numpy, with numpy's PCG64 generator (deliberately not pcmkit's Philox streams), so the
two agree only in distribution, never number for number.

Device model, per device with target G_T (uS), x = max(G_T/G_max, x_floor):
  G_prog = max(0, G_T + sigma_prog(x) xi),  sigma_prog = max(0, c0 + c1 x + c2 x^2)
  nu     = |mu_nu(x) + sigma_nu(x) xi|,  mu_nu = clip(a0 + a1 ln x), sigma_nu = clip(b0 + b1 ln x)
  G_d(t) = G_prog (t/t0)^(-nu)
  G(t)   = max(0, G_d + |G_d| sigma_r(t) xi),  sigma_r^2 = Q_s^2 int_{1/(t+t_read)}^{1/(2 t_read)} f^-g df
  Q_s    = min(q0 x^-alpha, q_max)
Mapping per analog layer (every conv and linear weight; biases stay digital):
  W_max = max|W|, G+ = G_max max(w,0)/W_max, G- = G_max max(-w,0)/W_max, W(t) = (G+ - G-) W_max/G_max
Per realisation: program once; read at t_ref = t0 for GDC; at every time read afresh (one read per
time, shared by the compensations):
  none   W(t)
  gdc    alpha(t) W(t), alpha = sum|W(t0)| / sum|W(t)| per layer (output scaling == weight scaling
         for these bias-free convs; the linear layer's digital bias is not scaled)
  adabs  gdc, then every BN's running mean/var re-estimated in train mode with momentum=None
         (cumulative average) over the first N images of data_batch_1.bin in batches of 200,
         each cropped from the 4-pixel zero-padded image and flipped at random as in training
         (its own crops, drawn once from --seed; --adabs-augmentation 0 for plain images), and
         for a network whose file records training_cutout L, an L x L square around a uniform
         centre set to 0 after normalisation, as pcmkit's Cutout.

Usage: tools/reference_drift_evaluation.py -o ref.json [--times 25,1h,1d,30d,1y] [--repeats 10]
       [--compensation none,gdc,adabs] [--max-images 0] [--adabs-images 2600]
       [--adabs-augmentation 1] [--seed 1]
Output JSON: {"fp32_accuracy_percent", "num_test_images", "settings", "points": [{"t_s",
"compensation", "accuracy_percent": [...], "mean_percent", "std_percent"}], "wall_time_s"}.
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cifar_resnet import CifarResNet  # noqa: E402  (one definition for every script)

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
UNITS_S = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "y": 365.25 * 86400.0}


# ---------------------------------------------------------------- network (akamaster resnet.py)
def make_network(path):
    """The network a weights file holds, with the input normalisation and Cutout side (0: none) it
    was trained with: an .h5
    file names its arch (resnet32: akamaster's, shortcut A; resnet32-pcm: widths 16/28/56, 1x1
    projection shortcuts) and may carry input_normalization_mean/std; a .th file is akamaster's."""
    arch, mean, std, cutout = "resnet32", MEAN, STD, 0
    if path.endswith(".h5"):
        import h5py
        with h5py.File(path, "r") as f:
            if "arch" in f.attrs:
                arch = f.attrs["arch"]
                arch = arch.decode() if isinstance(arch, bytes) else str(arch)
            if "input_normalization_mean" in f.attrs:
                mean = tuple(float(v) for v in f.attrs["input_normalization_mean"])
                std = tuple(float(v) for v in f.attrs["input_normalization_std"])
            cutout = int(f.attrs.get("training_cutout", 0))
    if arch == "resnet32":
        model = CifarResNet(32)
    elif arch == "resnet32-pcm":
        model = CifarResNet(32, widths=(16, 28, 56), shortcut="B")
    else:
        sys.exit(f"weights {path}: arch {arch!r} is not resnet32 or resnet32-pcm")
    load_weights(model, path)
    return model, mean, std, cutout


def load_weights(model, path):
    if path.endswith(".h5"):
        import h5py
        with h5py.File(path, "r") as f:
            state = {k: torch.from_numpy(np.asarray(f[k])) for k in f.keys()}
    else:
        ckpt = torch.load(path, map_location="cpu")
        state = {k.replace("module.", "", 1): v for k, v in ckpt["state_dict"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"weights {path}: missing {missing}, unexpected {unexpected}")


# ---------------------------------------------------------------- data
def read_cifar(path, mean, std, max_images=0, augment_seed=None, cutout=0):
    """Normalised images and labels; with augment_seed, each image is a random 32x32 crop of the
    image zero-padded by 4 pixels (black, before normalisation), flipped with probability 1/2, and
    with cutout > 0 a cutout x cutout square around a uniform centre (clipped) zeroed after
    normalisation."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
    if max_images:
        raw = raw[:max_images]
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    images = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    squares = []
    if augment_seed is not None:
        rng = np.random.default_rng(augment_seed)
        padded = np.zeros((len(images), 3, 40, 40), np.float32)
        padded[:, :, 4:36, 4:36] = images
        for k in range(len(images)):
            dy, dx = rng.integers(0, 9, 2)
            crop = padded[k, :, dy:dy + 32, dx:dx + 32]
            images[k] = crop[:, :, ::-1] if rng.integers(0, 2) else crop
            if cutout > 0:
                cy, cx = rng.integers(0, 32, 2) - cutout // 2
                squares.append((max(cy, 0), max(cy + cutout, 0), max(cx, 0), max(cx + cutout, 0)))
    x = torch.from_numpy(images)
    x = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    for k, (y0, y1, x0, x1) in enumerate(squares):
        x[k, :, y0:y1, x0:x1] = 0.0
    return x, labels


@torch.no_grad()
def accuracy(model, x, y, batch=200):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return 100.0 * correct / len(x)


@torch.no_grad()
def adapt_bn(model, x_cal, batch=200):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()  # mean 0, var 1, num_batches_tracked 0
            m.momentum = None        # cumulative average over batches
    model.train()
    for i in range(0, len(x_cal), batch):
        model(x_cal[i:i + batch])
    model.eval()


# ---------------------------------------------------------------- device model
class Device:
    def __init__(self, m):
        self.g_max = m["g_max_uS"]
        self.t0 = m["t0_s"]
        self.t_read = m["t_read_s"]
        self.x_floor = m["x_floor"]
        self.pn = m["programming_noise"]
        self.de = m["drift_exponent"]
        self.rn = m["read_noise"]

    def read_noise_band(self, t):
        # integral of f^-gamma over [1/(t + t_read), 1/(2 t_read)]
        lo, hi, g = 1.0 / (t + self.t_read), 1.0 / (2.0 * self.t_read), self.rn["gamma"]
        if abs(g - 1.0) < 1e-12:
            return np.log(hi / lo)
        return (hi ** (1.0 - g) - lo ** (1.0 - g)) / (1.0 - g)


class ProgrammedLayer:
    """One layer's weights on differential pairs: keeps G_prog and nu of its 2N devices."""

    def __init__(self, dev, w, rng):
        self.dev = dev
        self.shape = w.shape
        w = w.astype(np.float64).ravel()
        self.w_max = np.abs(w).max()
        scale = dev.g_max / self.w_max if self.w_max > 0 else 0.0
        g_target = np.concatenate([np.maximum(w, 0) * scale, np.maximum(-w, 0) * scale])
        x = np.maximum(g_target / dev.g_max, dev.x_floor)
        pn, de, rn = dev.pn, dev.de, dev.rn
        sigma_prog = np.maximum(0.0, pn["c0_uS"] + pn["c1_uS"] * x + pn["c2_uS"] * x * x)
        self.g_prog = np.maximum(0.0, g_target + sigma_prog * rng.standard_normal(x.size))
        mu_nu = np.clip(de["a0"] + de["a1"] * np.log(x), de["mu_min"], de["mu_max"])
        sigma_nu = np.clip(de["b0"] + de["b1"] * np.log(x), de["sigma_min"], de["sigma_max"])
        self.nu = np.abs(mu_nu + sigma_nu * rng.standard_normal(x.size))
        self.q_s = np.minimum(rn["q0"] * x ** (-rn["alpha"]), rn["q_max"])
        self.n = w.size

    def read(self, t, rng):
        dev = self.dev
        g_d = self.g_prog * (t / dev.t0) ** (-self.nu)
        sigma_r = self.q_s * np.sqrt(dev.read_noise_band(t))
        g = np.maximum(0.0, g_d + np.abs(g_d) * sigma_r * rng.standard_normal(g_d.size))
        return (g[:self.n] - g[self.n:]) * self.w_max / dev.g_max  # float64, flat


def parse_times(text):
    out = []
    for item in text.split(","):
        m = re.fullmatch(r"\s*([0-9.eE+-]+?)\s*(s|min|h|d|y)?\s*", item)
        if not m:
            sys.exit(f"--times: cannot parse {item!r}")
        out.append(float(m.group(1)) * UNITS_S[m.group(2) or "s"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "calibration",
                                                    "pcm_like_nandakumar2019.json"))
    ap.add_argument("--weights", default="/work/shared/weights/resnet32-d509ac18.th")
    ap.add_argument("--data", default=os.path.expanduser("~/.cache/pcmkit/cifar10"))
    ap.add_argument("--times", default="25,1h,1d,30d,1y")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--compensation", default="none,gdc,adabs")
    ap.add_argument("--max-images", type=int, default=0)
    ap.add_argument("--adabs-images", type=int, default=2600)
    ap.add_argument("--adabs-augmentation", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    start = time.time()

    with open(a.model) as f:
        dev = Device(json.load(f))
    times = parse_times(a.times)
    comps = a.compensation.split(",")
    if any(t < dev.t0 for t in times):
        sys.exit("--times: every time must be >= t0")

    model, mean, std, cutout = make_network(a.weights)
    model.eval()
    x_test, y_test = read_cifar(os.path.join(a.data, "test_batch.bin"), mean, std,
                                a.max_images)
    x_cal = None
    if "adabs" in comps:
        x_cal, _ = read_cifar(os.path.join(a.data, "data_batch_1.bin"), mean, std, a.adabs_images,
                              a.seed if a.adabs_augmentation else None, cutout)
    fp32 = accuracy(model, x_test, y_test)
    print(f"fp32 accuracy: {fp32:.2f}% on {len(x_test)} test images", flush=True)

    analog = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    w0 = [m.weight.detach().numpy().copy() for m in analog]
    bn0 = {k: v.clone() for k, v in model.state_dict().items()
           if "running" in k or "num_batches" in k}
    acc = {(t, c): [] for t in times for c in comps}
    for r in range(a.repeats):
        rng = np.random.Generator(np.random.PCG64([a.seed, r]))
        layers = [ProgrammedLayer(dev, w, rng) for w in w0]
        w_ref = [L.read(dev.t0, rng) for L in layers]
        for t in times:
            w_t = [L.read(t, rng) for L in layers]
            alphas = [np.abs(wr).sum() / np.abs(wt).sum() if np.abs(wt).sum() > 0 else 1.0
                      for wr, wt in zip(w_ref, w_t)]
            for c in comps:
                model.load_state_dict(bn0, strict=False)
                with torch.no_grad():
                    for m, L, wt, al in zip(analog, layers, w_t, alphas):
                        s = 1.0 if c == "none" else al
                        m.weight.copy_(torch.from_numpy((s * wt).reshape(L.shape).astype(np.float32)))
                if c == "adabs":
                    adapt_bn(model, x_cal)
                acc[(t, c)].append(accuracy(model, x_test, y_test))
                print(f"repeat {r} t={t:g}s {c}: {acc[(t, c)][-1]:.2f}%  "
                      f"({time.time() - start:.0f} s)", flush=True)

    points = []
    for t in times:
        for c in comps:
            v = np.array(acc[(t, c)])
            points.append({"t_s": t, "compensation": c, "accuracy_percent": v.tolist(),
                           "mean_percent": float(v.mean()),
                           "std_percent": float(v.std(ddof=1)) if len(v) > 1 else 0.0})
    result = {"schema": "pcmkit.reference-drift-evaluation/1", "fp32_accuracy_percent": fp32,
              "num_test_images": len(x_test), "settings": vars(a), "points": points,
              "wall_time_s": time.time() - start}
    with open(a.output, "w") as f:
        json.dump(result, f, indent=1)
    for p in points:
        print(f"{p['t_s']:>12g} s {p['compensation']:>6}  {p['mean_percent']:6.2f} ± "
              f"{p['std_percent']:.2f}")
    print(f"wrote {a.output} ({result['wall_time_s']:.0f} s)")


if __name__ == "__main__":
    main()
