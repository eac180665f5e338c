"""``ganzoo export``: a generator as an ONNX graph with a dynamic batch axis.

The graph computes what ``model.sample`` / ``model.transform`` compute for one batch: the task
adapter's call of the generator, clamped to [-1, 1]. Inputs: ``noise`` ``(batch, nz)`` float,
plus ``labels`` ``(batch,)`` int64 for class-conditional models; image-to-image models take
``input_image`` ``(batch, C, H, W)`` in [-1, 1], at the training size for a fixed-size net
(Pix2Pix's U-Net), any height and width for a fully convolutional one (SRResNet). The output is
``image``. The file carries the weights file's ``ganzoo.*`` metadata.

torch's dynamo exporter (it needs onnxscript) traces the generator at batch 2, so that no size
is specialised to 1; where onnxruntime is installed the file is run on those inputs and compared
with torch before it is published.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo.core.model import GanModel, load_model
from ganzoo.errors import ConfigError, GanzooError, MissingExtra, WeightsError
from ganzoo.io.output_file import check_new_file, publish
from ganzoo.io import weights
from ganzoo.io.atomic import write_with
from ganzoo.io.pretrained import resolve_weights
from ganzoo.plugin.discovery import get_registry

NOISE, LABELS, INPUT_IMAGE, OUTPUT = "noise", "labels", "input_image", "image"
#: The batch the graph is traced at: 1 would be specialised into the graph.
TRACE_BATCH = 2
#: The largest difference between onnxruntime and torch accepted (outputs lie in [-1, 1]).
TOLERANCE = 1e-4


@dataclass(frozen=True)
class OnnxExport:
    """A written ONNX file: its inputs and output (shapes with ``batch``, ``height``, ``width``
    for the dynamic axes), opset, and how far onnxruntime's outputs were from torch's (None:
    onnxruntime is not installed, nothing was compared)."""

    path: Path
    inputs: dict[str, list[int | str]]
    output: list[int | str]
    opset: int
    max_difference: float | None


class GeneratorGraph(nn.Module):
    """The generator as the graph computes it: the task adapter's call, clamped to [-1, 1]."""

    def __init__(self, model: GanModel) -> None:
        super().__init__()
        self.generator, self.task = model.generator, model.task

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.task.image_to_image:
            out = self.task.generate(self.generator, None, inputs[0])
        else:
            out = self.task.generate(self.generator, inputs[0], inputs[1] if self.task.needs_labels else None)
        return out.clamp(-1, 1)


def graph_inputs(model: GanModel, batch: int = TRACE_BATCH) -> dict[str, tuple[torch.Tensor, dict[int, str]]]:
    """Input name -> (an example tensor of ``batch`` items, its dynamic axes by name)."""
    task, config = model.task, model.card.config
    rng = torch.Generator().manual_seed(0)
    if not task.image_to_image:
        inputs = {NOISE: (task.noise(batch, torch.device("cpu"), rng), {0: "batch"})}
        if task.needs_labels:
            inputs[LABELS] = (torch.arange(batch) % max(model.num_classes, 1), {0: "batch"})
        return inputs
    channels = int(config.get("input_channels", config.get("channels", 3)))
    if task.fixed_input_size:
        side, axes = int(config["image_size"]), {0: "batch"}
    else:
        side, axes = max(int(config["image_size"]) // int(getattr(task, "scale", 1)), 8), {0: "batch", 2: "height", 3: "width"}
    return {INPUT_IMAGE: (torch.rand(batch, channels, side, side, generator=rng) * 2 - 1, axes)}


def export_onnx(source: GanModel | str | os.PathLike, path: str | os.PathLike, *, force: bool = False) -> OnnxExport:
    """Write the generator of ``source`` (a model, a weights file, a run folder or a pretrained
    name) to the ONNX file ``path``, never over an existing file unless ``force``."""
    MissingExtra.require("onnx", "onnx", "ONNX export")
    MissingExtra.require("onnxscript", "onnx", "ONNX export (torch's exporter)")
    if Path(path).suffix.lower() != ".onnx":  # a .png or .safetensors name is a slip, not a wish
        raise ConfigError(f"{path}: an ONNX file's name ends in .onnx")
    path = check_new_file(path, force)
    if isinstance(source, GanModel):
        model = source
    else:
        registry = get_registry()
        model = load_model(registry, resolve_weights(source, registry=registry), "cpu")
    if model.generator is None:
        raise WeightsError("this file holds only a discriminator; export a generator's weights")
    graph = GeneratorGraph(model).to("cpu").eval()
    inputs = graph_inputs(model)
    program = _export(graph, inputs, model)
    program.model.metadata_props.update(weights.encode_metadata(model.card.metadata("generator")))
    checked: list[float | None] = []

    def write(tmp: Path) -> None:
        program.save(str(tmp))
        checked.append(_compare_with_onnxruntime(tmp, graph, inputs))

    publish(path, force, lambda: write_with(path, write, exclusive=not force))
    shapes = {name: _shape(example.shape, axes) for name, (example, axes) in inputs.items()}
    with torch.no_grad():
        out = graph(*(example for example, _ in inputs.values()))
    scale = int(getattr(model.task, "scale", 1))
    any_size = INPUT_IMAGE in inputs and 2 in inputs[INPUT_IMAGE][1]
    out_axes = {0: "batch", 2: f"{scale}*height", 3: f"{scale}*width"} if any_size else {0: "batch"}
    opset = int(program.model.opset_imports.get("", 0))
    return OnnxExport(path, shapes, _shape(out.shape, out_axes), opset, checked[0] if checked else None)


def _shape(shape: torch.Size, axes: dict[int, str]) -> list[int | str]:
    return [axes.get(i, int(n)) for i, n in enumerate(shape)]


def _export(graph: GeneratorGraph, inputs: dict[str, tuple[torch.Tensor, dict[int, str]]], model: GanModel) -> Any:
    """torch's ONNX program for ``graph``, its chatter (progress lines, warnings) kept quiet."""
    dims: dict[str, Any] = {}
    dynamic = tuple({axis: dims.setdefault(name, torch.export.Dim(name)) for axis, name in axes.items()}
                    for _, axes in inputs.values())
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.onnx.export(graph, tuple(example for example, _ in inputs.values()), None, dynamo=True,
                                     input_names=list(inputs), output_names=[OUTPUT], dynamic_shapes=(dynamic,))
    except Exception as exc:  # noqa: BLE001 - the exporter's failures are many; each is one line here
        raise GanzooError(f"torch could not export the generator of {model.card.model!r} ({model.card.architecture}) to "
                          f"ONNX: {weights.first_line(exc)}") from None


def _compare_with_onnxruntime(path: Path, graph: GeneratorGraph, inputs: dict[str, tuple[torch.Tensor, Any]]) -> float | None:
    """The largest difference between onnxruntime's output for ``path`` and torch's on the
    example inputs; a graph that differs by more than :data:`TOLERANCE` is refused."""
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {name: example.numpy() for name, (example, _) in inputs.items()})
    with torch.no_grad():
        expected = graph(*(example for example, _ in inputs.values()))
    difference = float((torch.from_numpy(got) - expected).abs().max())
    if not difference <= TOLERANCE:
        raise GanzooError(f"the exported graph's outputs differ from torch's by {difference:.3g} in onnxruntime (more "
                          f"than {TOLERANCE}); nothing was written")
    return difference
