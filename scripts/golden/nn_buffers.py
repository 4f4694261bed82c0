#!/usr/bin/env python3
"""Writes nn/testdata/batchnorm_state.pth and batchnorm_state.json: a BatchNorm2d(3) state dict
after two training forwards (running statistics moved, num_batches_tracked = 2, an int64), saved
by torch.save, and its values, for TestLoadFileBuffers (a .pth's buffers load into nn.BatchNorm2d).

Run with Debian's python3-torch: /usr/bin/python3 scripts/golden/nn_buffers.py
"""
import json
import os

import torch

torch.manual_seed(0)
bn = torch.nn.BatchNorm2d(3, momentum=0.3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
    bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
bn.train()
for _ in range(2):
    bn(torch.randn(2, 3, 4, 5))
sd = bn.state_dict()
out = os.path.join(os.path.dirname(__file__), "..", "..", "nn", "testdata")
torch.save(sd, os.path.join(out, "batchnorm_state.pth"))
values = {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in sd.items()}
with open(os.path.join(out, "batchnorm_state.json"), "w") as f:
    json.dump(values, f, indent=1)
    f.write("\n")
print({k: str(v.dtype) for k, v in sd.items()})
