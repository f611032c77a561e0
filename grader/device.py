"""Choose the torch device that torch exercises run on."""

from __future__ import annotations

import os

CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(Exception):
    """The requested device is not available here."""


def resolve(request: str) -> str:
    """Return ``"cuda"``, ``"mps"`` or ``"cpu"`` for a ``--device`` value.

    ``auto`` picks CUDA, then MPS, then the CPU. Asks torch without
    initialising CUDA in this process (the grader forks after this).

    Raises:
        DeviceError: when an explicitly requested device is not available.
    """
    if request == "cpu":
        return "cpu"
    cuda, mps = available()
    return choose(request, cuda, mps)


def available() -> tuple[bool, bool]:
    """Whether CUDA and MPS are usable here (imports torch, initialises neither)."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch

    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    return cuda, mps


def choose(request: str, cuda: bool, mps: bool) -> str:
    """The device for ``request`` given what is available.

    Raises:
        DeviceError: when an explicitly requested device is not available.
    """
    if request == "cpu":
        return "cpu"
    if request == "cuda" and not cuda:
        raise DeviceError("--device cuda: CUDA is not available on this machine (try --device auto)")
    if request == "mps" and not mps:
        raise DeviceError("--device mps: MPS is not available on this machine (try --device auto)")
    if request in ("cuda", "mps"):
        return request
    return "cuda" if cuda else "mps" if mps else "cpu"
