"""The FID InceptionV3: same outputs as pytorch-fid's network on the same weights, and the
weights file found, loaded and refused as documented. Random (seeded) weights stand in for the
real file, which is never downloaded here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from ganzoo.errors import DataError, WeightsError
from ganzoo.io.home import ganzoo_home
from ganzoo.eval.inception import FID_WEIGHTS_FILE, FID_WEIGHTS_URL, FIDInceptionV3, find_inception_weights, load_inception


def well_scaled(net: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights that keep activations O(1) through all 90+ layers (PyTorch's default
    init shrinks them to ~1e-8), with non-trivial BatchNorm statistics, so any difference in
    pooling, padding or eps shows in the outputs."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * math.sqrt(2 / m.weight[0].numel()))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / math.sqrt(m.in_features))
                m.bias.copy_(torch.randn(m.bias.shape, generator=g))
    return net.eval()


@pytest.fixture(scope="module")
def network() -> FIDInceptionV3:
    return well_scaled(FIDInceptionV3())


@pytest.fixture
def hub_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private torch hub folder (what ``torch.hub.get_dir()`` returns) for this test."""
    hub = tmp_path / "torch-home" / "hub"
    monkeypatch.setenv("TORCH_HOME", str(hub.parent))
    monkeypatch.setattr(torch.hub, "_hub_dir", str(hub))
    assert Path(torch.hub.get_dir()) == hub
    return hub


def test_same_features_and_logits_as_pytorch_fid(network, hub_dir):
    fid_inception = pytest.importorskip(
        "pytorch_fid.inception", reason="pytorch-fid is not installed (pip install pytorch-fid); cannot compare"
    )
    checkpoints = hub_dir / "checkpoints"
    checkpoints.mkdir(parents=True)
    # pytorch-fid finds its weights in the hub cache under this name and then downloads nothing.
    torch.save(network.state_dict(), checkpoints / FID_WEIGHTS_FILE)
    reference = fid_inception.InceptionV3([3], resize_input=True, normalize_input=True, use_fid_inception=True).eval()
    classifier = fid_inception.fid_inception_v3().eval()

    g = torch.Generator().manual_seed(1)
    rgb = torch.rand(3, 3, 32, 40, generator=g) * 2 - 1  # small and not square: resized to 299 x 299
    gray = torch.rand(1, 1, 299, 299, generator=g) * 2 - 1  # already 299: no resize; 1 channel repeated
    with torch.no_grad():
        ours_rgb, ours_rgb_logits = network(rgb)
        ours_gray, ours_gray_logits = network(gray)
        both = torch.cat([F.interpolate(rgb, size=(299, 299), mode="bilinear", align_corners=False),
                          gray.expand(-1, 3, -1, -1)])
        theirs = reference((both + 1) / 2)[0].flatten(1)  # pytorch-fid takes [0, 1] images
        theirs_logits = classifier(both)  # the whole torchvision Inception3, fc included
    ours = torch.cat([ours_rgb, ours_gray])
    ours_logits = torch.cat([ours_rgb_logits, ours_gray_logits])
    assert ours.shape == (4, 2048) and ours_logits.shape == (4, 1008)
    assert theirs.abs().mean() > 0.1  # the weights really carry signal through the network
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5 * float(theirs.abs().max()))
    torch.testing.assert_close(ours_logits, theirs_logits, rtol=1e-5, atol=1e-5 * float(theirs_logits.abs().max()))
    torch.testing.assert_close(network.unbiased_logits(ours), ours_logits - network.fc.bias)


def test_state_dict_keys_are_pytorch_fids():
    torchvision = pytest.importorskip("torchvision")
    theirs = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008)
    ours = FIDInceptionV3()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_missing_weights_say_where_to_get_them(hub_dir):
    with pytest.raises(WeightsError) as info:
        find_inception_weights()
    message = str(info.value)
    assert "\n" not in message
    for part in (FID_WEIGHTS_FILE, FID_WEIGHTS_URL, str(ganzoo_home() / "weights"), str(hub_dir / "checkpoints"),
                 "--inception-weights"):
        assert part in message
    with pytest.raises(WeightsError, match="does not exist"):
        find_inception_weights(hub_dir / "nowhere.pth")


def test_weights_found_in_ganzoo_home_before_torch_hub(hub_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "ganzoo-home"))
    in_hub = hub_dir / "checkpoints" / FID_WEIGHTS_FILE
    in_hub.parent.mkdir(parents=True)
    in_hub.write_bytes(b"x")
    assert find_inception_weights() == in_hub
    in_home = ganzoo_home() / "weights" / FID_WEIGHTS_FILE
    in_home.parent.mkdir(parents=True)
    in_home.write_bytes(b"x")
    assert find_inception_weights() == in_home
    assert find_inception_weights(in_hub) == in_hub  # an explicit path wins


def test_load_from_explicit_pth_and_safetensors(network, tmp_path):
    state = network.state_dict()
    pth = tmp_path / "inception.pth"
    # Old files have no num_batches_tracked entries: they must load all the same.
    torch.save({k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}, pth)
    st = tmp_path / "inception.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(st))
    for path in (pth, st):
        loaded = load_inception(path, device="cpu")
        assert not loaded.training
        assert not any(p.requires_grad for p in loaded.parameters())
        for key, value in loaded.state_dict().items():
            assert torch.equal(value, state[key]), key


def test_files_that_do_not_fit_are_refused(network, tmp_path):
    state = network.state_dict()
    missing = tmp_path / "missing.pth"
    torch.save({k: v for k, v in state.items() if not k.startswith("fc.")}, missing)
    with pytest.raises(WeightsError, match="missing.pth.*fc.weight"):
        load_inception(missing, device="cpu")
    imagenet_fc = tmp_path / "imagenet.safetensors"  # torchvision's 1000-class head
    save_file({**{k: v.contiguous() for k, v in state.items()}, "fc.weight": torch.zeros(1000, 2048),
               "fc.bias": torch.zeros(1000)}, str(imagenet_fc))
    with pytest.raises(WeightsError, match="imagenet.safetensors.*fc"):
        load_inception(imagenet_fc, device="cpu")
    pickled = tmp_path / "model.pth"
    torch.save(nn.Linear(2, 2), pickled)  # a whole pickled module: weights_only refuses it
    with pytest.raises(WeightsError, match="model.pth"):
        load_inception(pickled, device="cpu")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a tensor file")
    with pytest.raises(WeightsError, match="garbage.safetensors"):
        load_inception(garbage, device="cpu")


def test_images_of_the_wrong_shape_are_refused(network):
    with pytest.raises(DataError, match="1 or 3"):
        network(torch.zeros(1, 4, 8, 8))

