"""Writes ../lenet_autocast.safetensors: the forward of EvaluateJob's classifier (the LeNet of
io.sparkddpm.eval.LeNet, default shape) in float32 and under torch.autocast("cpu",
dtype=torch.bfloat16), on fixed weights and images, for EvaluateJob's --precision bf16.

Run from this folder with the pinned venv (submit/common.sh: torch_venv 2.7.1 0.42.1 2.4.6; the
safetensors package, 0.8.0, is installed beside them):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python lenet_autocast_reference.py

The network: conv 5x5 (1 -> 16), ReLU, 2x2 max pool, conv 5x5 (16 -> 32), ReLU, 2x2 max pool,
flatten, linear 800 -> 120, ReLU, linear 120 -> 84, ReLU (the features), linear 84 -> 10 (the
logits); weights from torch's default initialisation with seed 0. Autocast runs the convolutions
and linears in bfloat16 (CPU autocast's lower-precision list); ReLU and max pooling follow their
bfloat16 inputs.

Tensors: "w.<key>" the float32 state dict (conv1.weight, ...); "images" (8, 1, 32, 32) float32
in [0, 1), as the classifier reads 8-bit pixels / 255; "logits.fp32", "features.fp32" the float32
forward's outputs, "logits.bf16", "features.bf16" the autocast forward's, cast to float32.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc1 = nn.Linear(32 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        features = F.relu(self.fc2(x))
        return self.fc3(features), features


def main():
    torch.manual_seed(0)
    model = LeNet().eval()
    images = torch.rand(8, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    out = {"w." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    out["images"] = images
    for name, autocast in (("bf16", True), ("fp32", False)):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits, features = model(images)
        if autocast:
            assert logits.dtype == torch.bfloat16 and features.dtype == torch.bfloat16
        out["logits." + name] = logits.float().contiguous()
        out["features." + name] = features.float().contiguous()
    with open("../lenet_autocast.safetensors", "wb") as f:
        f.write(save(out))


if __name__ == "__main__":
    main()
