"""The shipped DeepDefacer weights (safetensors, converted once by tools/convert_deepdefacer.py) and the model.

Loading checks the file's SHA-256, so a damaged or swapped file is an error rather than a silent bad mask.
The model is built once per process and kept (each worker of a batch loads it once).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from radbank.anonymize.deface.unet import DeepDefacerUNet
from radbank.errors import RadbankError

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "deface"
WEIGHTS = RESOURCES / "deepdefacer_unet.safetensors"
WEIGHTS_SHA256 = "2e9ba483abca435b1a9b2e6e5f482266a86607d31820e6c5046c80beb24c0ab3"


@cache
def load_unet() -> DeepDefacerUNet:
    """The network with DeepDefacer's weights, in eval mode on the CPU."""
    from safetensors.torch import load_file

    try:
        data = WEIGHTS.read_bytes()
    except OSError as exc:
        raise RadbankError(f"{WEIGHTS}: defacing weights missing ({exc.strerror}); reinstall radbank") from None
    if WEIGHTS_SHA256 and hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
        raise RadbankError(f"{WEIGHTS}: defacing weights damaged (SHA-256 mismatch); reinstall radbank")
    model = DeepDefacerUNet()
    model.load_state_dict(load_file(str(WEIGHTS)), strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model
