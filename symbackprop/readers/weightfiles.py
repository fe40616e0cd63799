"""A recurrent cell's weights from the files the frameworks save, and back.

- PyTorch: a ``state_dict`` saved with ``torch.save`` (``.pt``, ``.pth``), read with
  ``weights_only=True`` (tensors only: nothing in the file runs). A model's state_dict holds
  every layer's keys under its name (``gru.weight_ih_l0``); the layer is chosen by that name.
- Keras 3: ``model.save_weights("m.weights.h5")`` and ``model.save("m.keras")`` (a zip holding
  ``model.weights.h5``): each layer's cell variables under ``layers/NAME/cell/vars/0, 1, 2``
  (kernel, recurrent_kernel, bias), read with h5py.
- d2l.ai's from-scratch GRU: its ``params`` list, ``W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh,
  W_hh, b_h`` (then the output layer's, ignored), saved with ``np.savez`` in that order or by
  those names.
- This project's own: ``np.savez`` of the per-gate arrays, by their names (``.npz``).

The packed layouts themselves are :mod:`symbackprop.cells.layouts`'.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from symbackprop.cells.conventions import CANDIDATE, RESET, UPDATE
from symbackprop.cells.layouts import TORCH_KEYS, from_keras, from_torch, to_keras, to_torch
from symbackprop.cells.step import Cell
from symbackprop.errors import SpecError, UsageError
from symbackprop.files import write_whole

TORCH_SUFFIXES = (".pt", ".pth")
KERAS_SUFFIXES = (".h5", ".keras")
KERAS_VARIABLES = ("kernel", "recurrent_kernel", "bias")
D2L_ORDER = (UPDATE, RESET, CANDIDATE)  # d2l's get_params: W_xz, W_hz, b_z, W_xr, ...
D2L_KINDS = ("kernel", "recurrent", "bias")


def read_weights(path: str | Path, cell: Cell, layer: str | None = None) -> dict[str, np.ndarray]:
    """The cell's per-gate arrays from ``path``; ``layer`` names the layer in a file of a
    whole model (needed only when it holds several recurrent layers)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("no such file", file=str(path))
    suffix = path.suffix.lower()
    if suffix in TORCH_SUFFIXES:
        return from_torch(cell, _torch_layer(_torch_load(path), layer, path))
    if suffix in KERAS_SUFFIXES:
        kernel, recurrent, bias = _keras_layer(path, layer)
        return from_keras(cell, kernel, recurrent, bias)
    if suffix == ".npz":
        return _own_or_d2l(path, cell)
    raise SpecError(
        "cannot read weights from this file: use .pt/.pth (a torch state_dict), "
        ".weights.h5/.keras (Keras 3) or .npz",
        file=str(path),
    )


def write_weights(
    path: str | Path, cell: Cell, params: dict[str, np.ndarray], layer: str = "rnn"
) -> Path:
    """``params`` in the file format ``path``'s suffix names (its framework's layout)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TORCH_SUFFIXES:
        torch = _optional("torch", "reading or writing .pt files", "oracle")
        state = {key: torch.tensor(value) for key, value in to_torch(cell, params).items()}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return write_whole(path, buffer.getvalue())
    if suffix == ".h5":
        return write_whole(path, _keras_file(to_keras(cell, params), layer))
    if suffix == ".npz":
        return write_whole(path, lambda temporary: np.savez(temporary, **params))
    raise SpecError(
        "cannot write weights to this file: use .npz, .pt/.pth or .weights.h5", file=str(path)
    )


# -- PyTorch --------------------------------------------------------------------------------------
def _torch_load(path: Path) -> dict:
    torch = _optional("torch", "reading or writing .pt files", "oracle")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same bad input
        what = f"not a torch state_dict of tensors ({type(error).__name__})"
        raise SpecError(what, file=str(path)) from None
    if not isinstance(state, dict):
        what = "holds no state_dict (save model.state_dict(), not the model)"
        raise SpecError(what, file=str(path))
    return state


def _torch_layer(state: dict, layer: str | None, path: Path) -> dict:
    """The one-layer keys (``weight_ih_l0``, ...) of the layer named ``layer``."""
    ends = TORCH_KEYS[0]
    prefixes = sorted(key[: -len(ends)] for key in state if key.endswith(ends))
    if layer is not None:
        prefixes = [p for p in prefixes if p.rstrip(".") == layer]
    if len(prefixes) != 1:
        found = ", ".join(p.rstrip(".") or "(the layer itself)" for p in prefixes) or "none"
        raise SpecError(
            f"choose the recurrent layer with --layer (layers with {ends}: {found})"
            if len(prefixes) > 1
            else f"no recurrent layer {layer!r} with {ends} (found: {found})",
            file=str(path),
        )
    prefix = prefixes[0]
    return {key: state[prefix + key] for key in TORCH_KEYS if prefix + key in state}


# -- Keras ----------------------------------------------------------------------------------------
def _keras_layer(path: Path, layer: str | None) -> list[np.ndarray | None]:
    h5py = _optional("h5py", "reading Keras weight files", "keras")
    source = path
    if path.suffix.lower() == ".keras":
        with zipfile.ZipFile(path) as archive:
            source = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(source, "r") as weights:
        layers = weights.get("layers", {})
        cells = sorted(name for name in layers if "cell" in layers[name])
        chosen = [name for name in cells if layer is None or name == layer]
        if len(chosen) != 1:
            found = ", ".join(cells) or "none"
            raise SpecError(
                f"choose the recurrent layer with --layer (recurrent layers: {found})"
                if len(chosen) > 1
                else f"no recurrent layer {layer!r} (recurrent layers: {found})",
                file=str(path),
            )
        variables = layers[chosen[0]]["cell"]["vars"]
        arrays = [np.asarray(variables[str(i)]) for i in range(len(variables))]
    return arrays + [None] * (len(KERAS_VARIABLES) - len(arrays))  # use_bias=False


def _keras_file(packed: dict[str, np.ndarray], layer: str) -> bytes:
    """A Keras 3 weights file of one recurrent layer, as ``save_weights`` lays it out."""
    h5py = _optional("h5py", "writing Keras weight files", "keras")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as weights:
        variables = weights.create_group(f"layers/{layer}/cell/vars")
        for index, name in enumerate(KERAS_VARIABLES):
            variables.create_dataset(str(index), data=packed[name])
    return buffer.getvalue()


# -- .npz: this project's names, or d2l's list ---------------------------------------------------
def _own_or_d2l(path: Path, cell: Cell) -> dict[str, np.ndarray]:
    names = [w.name for w in cell.weights]
    with np.load(path, allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    if set(names) <= set(arrays):
        return {name: arrays[name] for name in names}
    positional = [f"arr_{i}" for i in range(len(names))]
    if cell.convention.d2l_names and set(positional) <= set(arrays):
        in_order = [cell.weight(role, kind).name for role in D2L_ORDER for kind in D2L_KINDS]
        return dict(zip(in_order, (arrays[key] for key in positional), strict=True))
    missing = ", ".join(sorted(set(names) - set(arrays)))
    raise SpecError(f"has no arrays named {missing} (the cell's weights)", file=str(path))


def _optional(module: str, what: str, extra: str):
    try:
        return __import__(module)
    except ImportError:
        raise UsageError(f"{what} needs {module}: pip install 'symbackprop[{extra}]'") from None
