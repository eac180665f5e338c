"""``ganzoo convert``: real ``.pth`` files of the peers' layouts (``tests/interop/peers.py``) ->
ganzoo weights that ``ganzoo.load`` rebuilds and that compute the peer's outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.cli.convert import FORMAT_NAMES
from ganzoo.errors import GanzooError, WeightsError
from ganzoo.interop.convert import FORMATS, convert
from ganzoo.io.weights import read_metadata
from tests.helpers import run_cli
from tests.interop import peers


def saved(net: torch.nn.Module, path: Path) -> Path:
    torch.save(net.state_dict(), path)
    return path


def params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def one_error_line(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    return line


def test_dcgan_examples_generator_converts_and_draws_the_same_images(tmp_path: Path) -> None:
    torch.manual_seed(0)
    peer = peers.randomise_statistics(peers.ExamplesGenerator(nz=12, ngf=4, nc=3))
    done = ganzoo.convert(saved(peer, tmp_path / "netG_epoch_24.pth"), tmp_path / "g.safetensors")
    assert (done.format, done.role) == ("dcgan-examples", "generator")
    model = ganzoo.load(tmp_path / "g.safetensors", device="cpu")
    assert {k: model.card.config[k] for k in ("nz", "ngf", "channels", "image_size")} == \
        {"nz": 12, "ngf": 4, "channels": 3, "image_size": 64}
    assert (model.card.model, model.card.architecture, model.card.task) == ("dcgan", "dcgan", "noise")
    assert read_metadata(tmp_path / "g.safetensors")["converted_from"] == "dcgan-examples"
    assert params(model.generator) == params(peer) == done.num_params
    z = torch.randn(5, 12)
    with torch.no_grad():
        torch.testing.assert_close(model.generator(z), peer(z[:, :, None, None]), atol=1e-5, rtol=0)
    assert model.sample(4, seed=1).shape == (4, 3, 64, 64)


def test_dcgan_examples_discriminator_converts_to_logits_of_the_same_probabilities(tmp_path: Path) -> None:
    torch.manual_seed(1)
    peer = peers.randomise_statistics(peers.ExamplesDiscriminator(ndf=4, nc=1))
    done = convert(saved(peer, tmp_path / "netD_epoch_3.pth"), tmp_path / "d.safetensors")
    assert done.role == "discriminator" and any("logits" in note for note in done.notes)
    model = ganzoo.load(tmp_path / "d.safetensors", device="cpu")
    assert model.generator is None and model.card.config["ndf"] == 4 and model.card.config["channels"] == 1
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(torch.sigmoid(model.discriminator(x)), peer(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize(("num_downs", "norm", "dropout"), [(7, "batch", True), (8, "instance", False)])
def test_pix2pix_unet_converts_and_translates_the_same(tmp_path: Path, num_downs: int, norm: str, dropout: bool) -> None:
    torch.manual_seed(2)
    peer = peers.randomise_statistics(peers.UnetGenerator(3, 2, num_downs, ngf=2, norm=norm, use_dropout=dropout))
    done = convert(saved(peer, tmp_path / "latest_net_G.pth"), tmp_path / "p.safetensors")
    size = 2**num_downs
    assert done.format == "pix2pix-unet" and f"unet_{size}" in done.summary
    model = ganzoo.load(tmp_path / "p.safetensors", device="cpu")
    assert {k: model.card.config[k] for k in ("image_size", "input_channels", "channels", "ngf", "norm")} == \
        {"image_size": size, "input_channels": 3, "channels": 2, "ngf": 2, "norm": norm}
    assert params(model.generator) == params(peer)
    x = torch.rand(2, 3, size, size) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(model.generator(x), peer(x.clone()), atol=1e-5, rtol=0)


def test_old_instance_norm_statistics_are_dropped_as_the_reference_drops_them(tmp_path: Path) -> None:
    peer = peers.UnetGenerator(1, 1, 7, ngf=2, norm="instance").eval()
    state = peer.state_dict()
    state["model.model.1.model.2.running_mean"] = torch.zeros(4)  # a PyTorch < 0.4 file's InstanceNorm buffers
    state["model.model.1.model.2.running_var"] = torch.ones(4)
    torch.save(state, tmp_path / "old.pth")
    convert(tmp_path / "old.pth", tmp_path / "old.safetensors")
    x = torch.rand(1, 1, 128, 128) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ganzoo.load(tmp_path / "old.safetensors", device="cpu").generator(x), peer(x.clone()),
                                   atol=1e-5, rtol=0)


def test_srgan_leftthomas_generator_converts_and_upscales_the_same(tmp_path: Path) -> None:
    torch.manual_seed(3)
    peer = peers.randomise_statistics(peers.SRGANGenerator(4, width=8))
    done = convert(saved(peer, tmp_path / "netG_epoch_4_100.pth"), tmp_path / "sr.safetensors")
    assert done.format == "srresnet-leftthomas"
    model = ganzoo.load(tmp_path / "sr.safetensors", device="cpu")
    assert {k: model.card.config[k] for k in ("scale", "n_blocks", "width", "unit_input", "norm", "residual")} == \
        {"scale": 4, "n_blocks": 5, "width": 8, "unit_input": True, "norm": "batch", "residual": "none"}
    assert params(model.generator) == params(peer)
    unit = torch.rand(2, 3, 11, 13)  # what the peer reads: [0, 1]
    with torch.no_grad():  # ganzoo's convention: [-1, 1] in, [-1, 1] out
        torch.testing.assert_close(model.generator(unit * 2 - 1), peer(unit) * 2 - 1, atol=1e-5, rtol=0)


def test_cli_converts_end_to_end_and_never_overwrites_without_force(tmp_path: Path) -> None:
    peer = peers.randomise_statistics(peers.ExamplesGenerator(nz=8, ngf=2, nc=1))
    pth = saved(peer, tmp_path / "netG_epoch_0.pth")
    proc = run_cli("convert", str(pth), "-o", str(tmp_path / "out.safetensors"))
    assert proc.returncode == 0, proc.stderr
    assert "dcgan-examples" in proc.stdout and f"ganzoo sample {tmp_path / 'out.safetensors'}" in proc.stdout
    line = one_error_line(run_cli("convert", str(pth), "-o", str(tmp_path / "out.safetensors")))
    assert "exists already" in line and "--force" in line
    assert run_cli("convert", str(pth), "-o", str(tmp_path / "out.safetensors"), "--force").returncode == 0
    assert ganzoo.load(tmp_path / "out.safetensors").card.config["nz"] == 8


class _RunsCode:
    """Pickles as a call: what a malicious checkpoint carries."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_a_pickle_that_carries_code_is_refused_in_one_line(tmp_path: Path) -> None:
    torch.save({"main.0.weight": torch.zeros(2, 2, 4, 4), "hook": _RunsCode()}, tmp_path / "evil.pth")
    line = one_error_line(run_cli("convert", str(tmp_path / "evil.pth"), "-o", str(tmp_path / "out.safetensors")))
    assert "weights_only=True" in line and "posix.getcwd" in line
    assert not (tmp_path / "out.safetensors").exists()


def test_a_plain_pickle_is_refused_in_one_line_without_torch_warnings(tmp_path: Path) -> None:
    """Not torch's zip format but a bare pickle (protocol 4) carrying code: torch warns about the
    protocol before its restricted unpickler refuses; the user sees one line and no warning."""
    import pickle

    (tmp_path / "bare.pth").write_bytes(pickle.dumps({"main.0.weight": _RunsCode()}, protocol=4))
    result = run_cli("convert", str(tmp_path / "bare.pth"), "-o", str(tmp_path / "out.safetensors"))
    line = one_error_line(result)
    assert "restricted unpickler refused it" in line and "Warning" not in result.stderr
    assert not (tmp_path / "out.safetensors").exists()


def test_a_file_that_is_no_checkpoint_at_all_says_so_in_one_line(tmp_path: Path) -> None:
    """A text file handed to convert is not a "refused" checkpoint: the line says what it is not."""
    (tmp_path / "notes.pth").write_text("G: 64 filters\n")
    line = one_error_line(run_cli("convert", str(tmp_path / "notes.pth"), "-o", str(tmp_path / "out.safetensors")))
    assert "is not a PyTorch checkpoint" in line and "runs code" not in line
    assert not (tmp_path / "out.safetensors").exists()


def test_an_unknown_layout_lists_the_known_formats_and_format_forces_one(tmp_path: Path) -> None:
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="unknown checkpoint layout") as info:
        convert(tmp_path / "other.pth", tmp_path / "o.safetensors")
    assert all(name in str(info.value) for name in FORMATS) and "\n" not in str(info.value)
    dcgan = saved(peers.ExamplesGenerator(nz=4, ngf=2, nc=1), tmp_path / "netG.pth")
    with pytest.raises(WeightsError, match="is not a pix2pix-unet checkpoint"):
        convert(dcgan, tmp_path / "o.safetensors", format="pix2pix-unet")
    assert convert(dcgan, tmp_path / "o.safetensors", format="dcgan-examples").format == "dcgan-examples"
    with pytest.raises(GanzooError, match="unknown format 'keras'; known formats: dcgan-examples"):
        convert(dcgan, tmp_path / "o2.safetensors", format="keras")
    assert sorted(FORMAT_NAMES) == sorted(FORMATS)  # the CLI's list, spelled without importing torch


def test_layouts_that_do_not_map_are_refused_with_the_reason(tmp_path: Path) -> None:
    torch.save(peers.twtygqyy_state_dict(), tmp_path / "model_srresnet.pth")
    with pytest.raises(WeightsError, match="twtygqyy/pytorch-SRResNet's _NetG does not map"):
        convert(tmp_path / "model_srresnet.pth", tmp_path / "o.safetensors")
    state = peers.ExamplesGenerator(nz=4, ngf=2, nc=1).state_dict()
    state["main.0.weight"] = torch.zeros(4, 6, 4, 4)  # an edited script: first width 6, not ngf * 8
    torch.save(state, tmp_path / "edited.pth")
    with pytest.raises(WeightsError, match="does not fit ganzoo's dcgan generator: keys of another shape: main.0.weight"):
        convert(tmp_path / "edited.pth", tmp_path / "o.safetensors")
    assert not (tmp_path / "o.safetensors").exists()


def test_nested_and_data_parallel_state_dicts_are_unwrapped(tmp_path: Path) -> None:
    peer = peers.ExamplesGenerator(nz=4, ngf=2, nc=1)
    torch.save({"epoch": 7, "state_dict": {f"module.{k}": v for k, v in peer.state_dict().items()}}, tmp_path / "ckpt.pth")
    assert convert(tmp_path / "ckpt.pth", tmp_path / "o.safetensors").format == "dcgan-examples"
