"""The CIFAR ResNets of pcmkit (lib/pcmkit/nn/resnet.h) in PyTorch, with the same state_dict
names, for the reference scripts and benchmarks that compare pcmkit with PyTorch. One definition:
import it (tools/ on sys.path) instead of writing the network again.

CifarResNet(depth, widths, shortcut): depth 6n + 2; conv1 3x3 -> bn1 -> relu -> layer1..3 (n
BasicBlocks each, stride 2 at the first block of layer2 and layer3) -> global average pool ->
linear (with bias). Shortcut "A" (akamaster's pytorch_resnet_cifar10: subsample by 2, zero-pad
channels equally on both sides) or "B" (1x1 conv + BatchNorm, named "shortcut.0" / ".1").
"""
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, shortcut="A"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = None
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            if shortcut == "A":
                self.pad = planes // 4
            else:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            sc = self.shortcut(x)
        elif self.pad is not None:  # option A: subsample by 2, zero channels at both ends
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        else:
            sc = x
        return F.relu(out + sc)


class CifarResNet(nn.Module):
    def __init__(self, depth=32, widths=(16, 32, 64), shortcut="A", num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for li, (planes, stride) in enumerate(zip(widths, (1, 2, 2)), start=1):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(in_planes, planes, stride if b == 0 else 1, shortcut))
                in_planes = planes
            setattr(self, f"layer{li}", nn.Sequential(*blocks))
        self.linear = nn.Linear(in_planes, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))
