#!/usr/bin/env python3
"""Writes the JPEG fixtures of tests/data/images/ and what PIL/torchvision make of them.

The images are synthetic (smooth gradients, stripes and seeded noise, so that resampling has
edges to get wrong), saved by PIL with libjpeg-turbo in several layouts: landscape and portrait,
odd sizes, chroma subsampling 4:2:0, 4:2:2 and 4:4:4, progressive, grayscale, and an image smaller
than the resize (upsampling) and one whose shorter side already equals it (no resampling).
For each, with torchvision's ImageNet pipeline made small (Resize(40), CenterCrop(32)):

  <name>.jpg                 the JPEG
  <name>.decoded.u8          np.asarray(Image.open(jpg).convert("RGB")): H x W x 3 bytes
  <name>.r40c32.u8           CenterCrop(32)(Resize(40)(image)) as bytes, 3 x 32 x 32 (C, H, W)

plus the full-size pipeline on one larger image (resize 256, crop 224), kept small by storing a
subsample (every 7th row and column: 32 x 32 of the 224 x 224):

  large.r256c224.sub7.u8     3 x 32 x 32 bytes

and the float tensor of ToTensor + Normalize(ImageNet mean, std) on one image:

  landscape.r40c32.imagenet.f32   3 x 32 x 32 little-endian float32

and cmyk.jpg with cmyk.decoded.u8 (a CMYK JPEG and PIL's conversion of it to RGB). Sizes and settings are listed in CASES below
and repeated in tests/data_loading/image_preprocessing_test.cpp.

Usage: /usr/bin/python3 tools/make_image_fixtures.py [-o tests/data/images]
Needs numpy, PIL and torchvision (Debian's python3-pil, python3-torchvision); pcmkit does not.
"""

import argparse
import os

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# name, width, height, mode, save options
CASES = [
    ("landscape", 80, 60, "RGB", dict(quality=90)),  # 4:2:0 (PIL's default)
    ("portrait", 59, 83, "RGB", dict(quality=85, subsampling=1)),  # 4:2:2, odd sizes
    ("square444", 64, 64, "RGB", dict(quality=95, subsampling=0, progressive=True)),
    ("gray", 70, 47, "L", dict(quality=90)),
    ("small", 30, 36, "RGB", dict(quality=90)),  # upsampled by Resize(40)
    ("exact", 40, 57, "RGB", dict(quality=80)),  # shorter side already 40: no resampling
]
LARGE = ("large", 301, 227, "RGB", dict(quality=85))


def pattern(width, height, mode, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = []
    for c in range(3):
        smooth = 127.5 + 100 * np.sin(2 * np.pi * (x / (width / (1.5 + c)) + y / (height / (2.5 - c / 2))))
        stripes = 60 * ((x // (3 + c) + y // 5) % 2)
        noise = rng.normal(0, 20, size=(height, width))
        channels.append(np.clip(smooth + stripes - 30 + noise, 0, 255))
    rgb = np.stack(channels, axis=-1).round().astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    return image.convert("L") if mode == "L" else image


def write(path, array):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(array).tobytes())


def load(path):
    """torchvision.datasets.folder.pil_loader."""
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="tests/data/images")
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    torch.set_num_threads(1)

    small_pipeline = transforms.Compose([transforms.Resize(40), transforms.CenterCrop(32)])
    for seed, (name, width, height, mode, options) in enumerate(CASES):
        jpg = os.path.join(args.output, name + ".jpg")
        pattern(width, height, mode, seed).save(jpg, "JPEG", **options)
        image = load(jpg)
        write(os.path.join(args.output, name + ".decoded.u8"), np.asarray(image))
        cropped = np.asarray(small_pipeline(image))  # H x W x 3
        write(os.path.join(args.output, name + ".r40c32.u8"), cropped.transpose(2, 0, 1))

    tensor_pipeline = transforms.Compose([
        transforms.Resize(40), transforms.CenterCrop(32), transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    x = tensor_pipeline(load(os.path.join(args.output, "landscape.jpg")))
    write(os.path.join(args.output, "landscape.r40c32.imagenet.f32"), x.numpy().astype("<f4"))

    name, width, height, mode, options = LARGE
    jpg = os.path.join(args.output, name + ".jpg")
    pattern(width, height, mode, 99).save(jpg, "JPEG", **options)
    large = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])(load(jpg))
    sub = np.asarray(large).transpose(2, 0, 1)[:, ::7, ::7]
    write(os.path.join(args.output, name + ".r256c224.sub7.u8"), sub)

    # CMYK (Adobe's inverted convention, as PIL writes and reads it), with every ink varying.
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:20, 0:24]
    inks = np.stack([x * 10, y * 12, (x + y) * 5, 255 - x * 10], axis=-1)
    inks = np.clip(inks + rng.normal(0, 15, size=inks.shape), 0, 255).astype(np.uint8)
    jpg = os.path.join(args.output, "cmyk.jpg")
    Image.fromarray(inks, "CMYK").save(jpg, "JPEG", quality=90)
    write(os.path.join(args.output, "cmyk.decoded.u8"), np.asarray(load(jpg)))


if __name__ == "__main__":
    main()
