"""``ganzoo export``: the shipped zoo generators (one per task) as ONNX files, run for real in
onnxruntime at batch sizes 1 and 3 from one file, against torch on the same inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.errors import GanzooError
from ganzoo.interop.onnx_export import GeneratorGraph
from tests.helpers import run_cli

onnxruntime = pytest.importorskip("onnxruntime")


def run_onnx(path: Path, feeds: dict[str, torch.Tensor]) -> torch.Tensor:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {name: tensor.numpy() for name, tensor in feeds.items()})
    return torch.from_numpy(np.asarray(out))


#: The zoo ships no Pix2Pix (``pix2pix.noisy2photos`` left it: nl-means beats it), so its U-Net is exported untrained.
UNET = "pix2pix (untrained U-Net)"


@pytest.mark.parametrize("name", ["dcgan.digits", "cgan.digits", "acgan.digits", UNET, "srresnet.photos-sr",
                                  "esrgan-psnr.photos-sr"])
def test_export_matches_torch_in_onnxruntime_at_batch_1_and_3(tmp_path: Path, name: str) -> None:
    if name == UNET:
        torch.manual_seed(0)
        model = ganzoo.create("pix2pix", image_size=64, input_channels=3, ngf=16, ndf=8)
    else:
        model = ganzoo.load(name, device="cpu")
    done = ganzoo.export_onnx(model, tmp_path / "g.onnx")
    assert done.max_difference is not None and done.max_difference < 1e-4
    config, graph = model.card.config, GeneratorGraph(model).eval()
    for batch in (1, 3):
        if model.is_image_to_image:  # the U-Net at its size; SRResNet at any size
            side = config["image_size"] if model.task.fixed_input_size else 9 + batch
            feeds = {"input_image": torch.rand(batch, 3, side, side + 2) * 2 - 1 if not model.task.fixed_input_size
                     else torch.rand(batch, 3, side, side) * 2 - 1}
        else:
            feeds = {"noise": torch.randn(batch, config["nz"])}
            if model.num_classes:
                feeds["labels"] = torch.arange(batch, dtype=torch.int64) + 7
        with torch.no_grad():
            expected = graph(*feeds.values())
        got = run_onnx(tmp_path / "g.onnx", feeds)
        assert got.shape == expected.shape and got.shape[0] == batch
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    if not model.is_image_to_image:  # what model.sample draws, for the same noise
        torch.manual_seed(0)
        z = torch.randn(2, config["nz"])
        feeds = {"noise": z, **({"labels": torch.tensor([3, 4])} if model.num_classes else {})}
        sampled = model.task.generate_eval(model.generator, z, feeds.get("labels")).clamp(-1, 1)
        torch.testing.assert_close(run_onnx(tmp_path / "g.onnx", feeds), sampled, atol=1e-5, rtol=0)


def test_export_records_the_inputs_the_metadata_and_dynamic_axes(tmp_path: Path) -> None:
    import onnx

    done = ganzoo.export_onnx("cgan.digits", tmp_path / "c.onnx")
    assert done.inputs == {"noise": ["batch", 100], "labels": ["batch"]} and done.output == ["batch", 1, 32, 32]
    graph = onnx.load(str(tmp_path / "c.onnx"))
    assert [i.name for i in graph.graph.input] == ["noise", "labels"] and [o.name for o in graph.graph.output] == ["image"]
    meta = {p.key: p.value for p in graph.metadata_props}
    assert meta["ganzoo.model"] == "cgan" and meta["ganzoo.task"] == "class" and '"nz": 100' in meta["ganzoo.config"]


def test_cli_exports_end_to_end_and_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "dcgan.onnx"
    proc = run_cli("export", "dcgan.digits", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "noise (batch, 100) -> image (batch, 1, 32, 32)" in proc.stdout and "onnxruntime matches torch" in proc.stdout
    assert run_onnx(out, {"noise": torch.randn(3, 100)}).shape == (3, 1, 32, 32)
    again = run_cli("export", "dcgan.digits", "-o", str(out))
    assert again.returncode == 2 and again.stdout == ""
    (line,) = again.stderr.splitlines()
    assert "exists already" in line and "--force" in line
    slip = run_cli("export", "dcgan.digits", "-o", str(tmp_path / "grid.png"))
    assert slip.returncode == 2 and slip.stderr.strip().endswith("grid.png: an ONNX file's name ends in .onnx")
    assert not (tmp_path / "grid.png").exists()


def test_without_the_onnx_packages_one_line_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript -> ImportError
    with pytest.raises(GanzooError, match=r"pip install 'ganzoo\[onnx\]'") as info:
        ganzoo.export_onnx("dcgan.digits", tmp_path / "x.onnx")
    assert "\n" not in str(info.value) and not (tmp_path / "x.onnx").exists()


def test_the_missing_extra_is_named_before_torch_is_imported(tmp_path: Path) -> None:
    """The line comes at once: ``ganzoo export`` looks for the extra before torch's seconds of import."""
    import subprocess

    script = ("import sys; sys.modules['onnxscript'] = None\n"  # as if the extra were not installed
              "from ganzoo.cli.main import main\n"
              f"code = main(['export', 'dcgan.digits', '-o', {str(tmp_path / 'x.onnx')!r}])\n"
              "print(code, 'torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["2", "False"], proc.stdout + proc.stderr
    assert proc.stderr.strip().endswith("pip install 'ganzoo[onnx]'") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "x.onnx").exists()
