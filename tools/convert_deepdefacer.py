#!/usr/bin/env python3
"""Convert DeepDefacer's published Keras weights to safetensors for radbank's PyTorch rebuild (run once).

Input: `deepdefacer/model.hdf5` from the PyPI sdist `deepdefacer` 2.1.2 (MIT, Khazane et al. 2019): a Keras 2.2.2
model (TensorFlow backend, channels-first) whose layers are `conv3d_1` ... `conv3d_24`. Keras stores a Conv3D
kernel as (kd, kh, kw, in, out); PyTorch wants (out, in, kd, kh, kw). The layer graph in the file's
`model_config` is checked against radbank's network (names, kernel sizes, filters, activations) before anything
is written, and the output records the source file's SHA-256.

Reproduce:
  pip download --no-deps deepdefacer==2.1.2 -d /tmp/w && tar xzf /tmp/w/deepdefacer-2.1.2.tar.gz -C /tmp/w
  pip install h5py   # only this tool needs it
  python tools/convert_deepdefacer.py /tmp/w/deepdefacer-2.1.2/deepdefacer/model.hdf5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from radbank.anonymize.deface.unet import DeepDefacerUNet
from radbank.anonymize.deface.weights import WEIGHTS

SOURCE_SHA256 = "d92b9e6d3cc2fc936b497d56328a09e621b8243ea4858de712e33862e4d5e747"  # deepdefacer 2.1.2 model.hdf5


def check_graph(config: dict[str, object], model: DeepDefacerUNet) -> None:
    """Every Conv3D of the Keras graph matches the PyTorch layer of the same name."""
    layers = config["config"]["layers"]  # type: ignore[index]
    convs = [layer for layer in layers if layer["class_name"] == "Conv3D"]
    if len(convs) != len(model.layers):
        sys.exit(f"expected {len(model.layers)} Conv3D layers, found {len(convs)}")
    for layer in convs:
        c = layer["config"]
        mine = model.layers[layer["name"]]
        assert isinstance(mine, torch.nn.Conv3d)
        want = (c["filters"], tuple(c["kernel_size"]), c["data_format"], c["padding"])
        have = (mine.out_channels, mine.kernel_size, "channels_first", c["padding"])
        if want != have:
            sys.exit(f"{layer['name']}: Keras {want} != PyTorch {have}")
    last = convs[-1]["config"]["activation"]
    if last != "sigmoid" or any(layer["config"]["activation"] != "relu" for layer in convs[:-1]):
        sys.exit("unexpected activations (expected ReLU everywhere and a final sigmoid)")


def main() -> int:
    import h5py  # a tool-only dependency

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("hdf5", type=Path, help="deepdefacer/model.hdf5 from deepdefacer 2.1.2")
    ap.add_argument("--out", type=Path, default=WEIGHTS, help=f"default {WEIGHTS}")
    args = ap.parse_args()
    digest = hashlib.sha256(args.hdf5.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{args.hdf5}: SHA-256 {digest} is not deepdefacer 2.1.2's model.hdf5 ({SOURCE_SHA256})")
    model = DeepDefacerUNet()
    state = {}
    with h5py.File(args.hdf5, "r") as fh:
        config = json.loads(fh.attrs["model_config"])
        check_graph(config, model)
        group = fh["model_weights"]
        for name, conv in model.layers.items():
            kernel = np.asarray(group[name][name]["kernel:0"], dtype=np.float32)
            bias = np.asarray(group[name][name]["bias:0"], dtype=np.float32)
            state[f"layers.{name}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2)))
            state[f"layers.{name}.bias"] = torch.from_numpy(bias)
            assert isinstance(conv, torch.nn.Conv3d)
            if state[f"layers.{name}.weight"].shape != conv.weight.shape:
                sys.exit(f"{name}: shape {tuple(kernel.shape)} does not fit {tuple(conv.weight.shape)}")
        keras_version = str(fh.attrs.get("keras_version", ""))
    model.load_state_dict(state, strict=True)
    meta = {
        "source": "PyPI deepdefacer 2.1.2, deepdefacer/model.hdf5",
        "source_sha256": digest,
        "keras_version": keras_version,
        "licence": "MIT (deepdefacer 2.1.2; see DEEPDEFACER-LICENCE.txt)",
        "citation": "Anish Khazane, Julien Hoachuck, Chris Gorgolewski, Russell Poldrack. DeepDefacer: Automatic "
        "Removal of Facial Features from MR Scans Via Deep Learning. arXiv preprint (2019)",
        "output": "P(keep): 1 on the head, 0 on the face; input (1, 1, 160, 160, 160) min-max scaled to [0, 1]",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out), metadata={k: str(v) for k, v in meta.items()})
    args.out.chmod(0o644)  # safetensors creates files readable by the owner only
    n = sum(v.numel() for v in state.values())
    print(f"{args.out}: {len(state)} tensors, {n:,} parameters, from {args.hdf5} (sha256 {digest[:12]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
