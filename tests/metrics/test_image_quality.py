"""PSNR, SSIM, BT.601 luma and the SR / image-to-image score helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganzoo.metrics.image_quality import gaussian_window, image_scores, psnr, rgb_to_y, sr_scores, ssim


def noisy(images, sigma, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (images + sigma * torch.randn(images.shape, generator=g)).clamp(-1, 1)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    base = torch.rand(3, 3, 24, 24, generator=g) * 2 - 1
    return torch.nn.functional.avg_pool2d(base, 3, 1, 1)  # some spatial structure


# --- PSNR ------------------------------------------------------------------------------


def test_psnr_of_identical_images_is_infinite(images):
    assert psnr(images, images).item() == math.inf
    assert torch.isinf(psnr(images, images.clone(), reduction="none")).all()


def test_psnr_matches_the_formula():
    a = torch.zeros(2, 1, 4, 4)
    b = a.clone()
    b[0] += 0.1  # image 0: MSE 0.01
    b[1, :, :2] += 0.2  # image 1: half the pixels off by 0.2, MSE 0.02
    per_image = psnr(a, b, reduction="none")
    expected = [10 * math.log10(4 / 0.01), 10 * math.log10(4 / 0.02)]
    assert per_image.tolist() == pytest.approx(expected, rel=1e-5)
    assert psnr(a, b).item() == pytest.approx(sum(expected) / 2, rel=1e-5)  # mean of per-image values
    assert psnr(a[0], b[0]).ndim == 0 and psnr(a[0], b[0]).item() == pytest.approx(expected[0], rel=1e-5)
    assert psnr(a, b, data_range=1.0, reduction="none")[0].item() == pytest.approx(20.0, rel=1e-5)


def test_psnr_of_gaussian_noise(images):
    g = torch.Generator().manual_seed(1)
    noise = 0.05 * torch.randn(images.shape, generator=g)
    mse = noise.pow(2).flatten(1).mean(1)
    assert psnr(images, images + noise, reduction="none").tolist() == pytest.approx((10 * torch.log10(4 / mse)).tolist(), rel=1e-5)


def test_shape_and_reduction_errors(images):
    with pytest.raises(ValueError, match="different shapes"):
        psnr(images, images[:, :1])
    with pytest.raises(ValueError, match="reduction"):
        ssim(images, images, reduction="sum")
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))


# --- SSIM ------------------------------------------------------------------------------


def test_ssim_identical_is_one_and_decreases_with_noise(images):
    assert ssim(images, images).item() == pytest.approx(1.0, abs=1e-6)
    values = [ssim(images, noisy(images, s)).item() for s in (0.02, 0.1, 0.4)]
    assert 1.0 > values[0] > values[1] > values[2]


def test_ssim_is_symmetric(images):
    other = noisy(images, 0.2)
    assert torch.allclose(ssim(images, other, reduction="none"), ssim(other, images, reduction="none"), atol=1e-6)


def reference_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """Wang et al. 2004, written out: every valid 11x11 window, Gaussian weights, float64."""
    r = np.arange(11) - 5.0
    g = np.exp(-(r**2) / (2 * 1.5**2))
    w = np.outer(g, g)
    w /= w.sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    per_channel = []
    for xc, yc in zip(x, y):
        values = []
        for i in range(xc.shape[0] - 10):
            for j in range(xc.shape[1] - 10):
                px, py = xc[i : i + 11, j : j + 11], yc[i : i + 11, j : j + 11]
                mx, my = (w * px).sum(), (w * py).sum()
                vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
                cov = (w * (px - mx) * (py - my)).sum()
                values.append(((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
        per_channel.append(np.mean(values))
    return float(np.mean(per_channel))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_ssim_matches_a_direct_float64_computation(images, dtype):
    a = images[:2, :, :14, :16]
    b = noisy(a, 0.15, seed=3)
    expected = [reference_ssim(x.double().numpy(), y.double().numpy(), 2.0) for x, y in zip(a, b)]
    got = ssim(a.to(dtype), b.to(dtype), reduction="none")
    assert got.dtype == dtype
    assert got.tolist() == pytest.approx(expected, abs=1e-10 if dtype == torch.float64 else 1e-5)
    one = reference_ssim(((a[0, :1] + 1) / 2).double().numpy(), ((b[0, :1] + 1) / 2).double().numpy(), 1.0)
    assert ssim((a[0, :1] + 1) / 2, (b[0, :1] + 1) / 2, data_range=1.0).item() == pytest.approx(one, abs=1e-5)


def test_gaussian_window_is_normalised_and_symmetric():
    g = gaussian_window()
    assert g.shape == (11,) and g.sum().item() == pytest.approx(1.0) and torch.allclose(g, g.flip(0))
    assert g[5].item() == pytest.approx(1 / sum(math.exp(-(k**2) / 4.5) for k in range(-5, 6)))


# --- luma and the helpers ----------------------------------------------------------------


def test_rgb_to_y_on_pure_colours():
    colours = torch.tensor([[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float32)
    images = colours.view(5, 3, 1, 1).expand(5, 3, 2, 2)
    y = rgb_to_y(images)
    assert y.shape == (5, 1, 2, 2)
    expected = [16.0, 235.0, 16 + 65.481, 16 + 128.553, 16 + 24.966]
    assert (y[:, 0, 0, 0] * 255).tolist() == pytest.approx(expected, abs=1e-3)
    assert rgb_to_y(images[0]).shape == (1, 2, 2)
    with pytest.raises(ValueError, match="RGB"):
        rgb_to_y(torch.zeros(2, 1, 4, 4))


def test_sr_scores_use_luma_and_crop_the_border():
    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    output = target.clone()
    output[..., :4, :] = -target[..., :4, :]  # damage only the 4-pixel border
    scores = sr_scores(output, target, scale=4)
    assert scores == {"psnr": math.inf, "ssim": pytest.approx(1.0)}
    assert sr_scores(output, target, scale=2)["psnr"] < 40
    noisy_output = noisy(target, 0.1, seed=5)
    y_out, y_tgt = rgb_to_y((noisy_output + 1) / 2)[..., 4:-4, 4:-4], rgb_to_y((target + 1) / 2)[..., 4:-4, 4:-4]
    scores = sr_scores(noisy_output, target, scale=4)
    assert scores["psnr"] == pytest.approx(psnr(y_out, y_tgt, data_range=1.0).item(), rel=1e-6)
    assert scores["ssim"] == pytest.approx(ssim(y_out, y_tgt, data_range=1.0).item(), rel=1e-6)
    assert isinstance(scores["psnr"], float) and isinstance(scores["ssim"], float)
    gray = sr_scores(noisy_output[:, :1], target[:, :1], scale=4)  # grayscale: the channel itself
    assert gray["psnr"] == pytest.approx(
        psnr(((noisy_output[:, :1] + 1) / 2)[..., 4:-4, 4:-4], ((target[:, :1] + 1) / 2)[..., 4:-4, 4:-4], data_range=1.0).item(),
        rel=1e-6,
    )
    with pytest.raises(ValueError, match="border"):
        sr_scores(target[..., :8, :8], target[..., :8, :8], scale=4)


def test_image_scores_cover_every_channel(images):
    out = noisy(images, 0.1)
    scores = image_scores(out, images)
    assert scores["psnr"] == pytest.approx(psnr(out, images).item(), rel=1e-6)
    assert scores["ssim"] == pytest.approx(ssim(out, images).item(), rel=1e-6)
    assert image_scores(images, images)["psnr"] == math.inf


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_metrics_run_on_cuda(images):
    a, b = images.cuda(), noisy(images, 0.1).cuda()
    assert psnr(a, b).device.type == "cuda"
    assert ssim(a, b).item() == pytest.approx(ssim(images, noisy(images, 0.1)).item(), abs=1e-5)
    assert sr_scores(a, b, 4)["psnr"] == pytest.approx(sr_scores(images, noisy(images, 0.1), 4)["psnr"], rel=1e-5)


# ---------------------------------------------------------------- against scikit-image
def _distorted(photo: np.ndarray, how: str, rng: np.random.Generator) -> np.ndarray:
    """A real photograph (float64 in [0, 1], H x W x C) made worse in one of three ways."""
    if how == "noise":
        return np.clip(photo + rng.normal(0, 0.05, photo.shape), 0, 1)
    if how == "blur":
        from skimage.filters import gaussian

        return gaussian(photo, sigma=1.2, channel_axis=-1)
    from skimage.transform import rescale  # down and up again: what a x4 bicubic baseline looks like

    small = rescale(photo, 0.25, order=3, channel_axis=-1, anti_aliasing=True)
    return np.clip(rescale(small, 4, order=3, channel_axis=-1)[: photo.shape[0], : photo.shape[1]], 0, 1)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
@pytest.mark.parametrize("how", ["noise", "blur", "bicubic"])
def test_psnr_and_ssim_agree_with_scikit_image(name, how):
    """ganzoo's PSNR and SSIM are scikit-image's (Gaussian window, sigma 1.5, population
    covariance: Wang et al.'s definition) on real photographs, within 0.01 dB and 0.001."""
    from skimage import data
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    photo = getattr(data, name)()[:128, :128].astype(np.float64) / 255
    worse = _distorted(photo, how, np.random.default_rng(0))
    theirs_psnr = peak_signal_noise_ratio(photo, worse, data_range=1.0)
    theirs_ssim = structural_similarity(photo, worse, data_range=1.0, channel_axis=-1, gaussian_weights=True,
                                        sigma=1.5, use_sample_covariance=False)
    ours = [torch.from_numpy(x).permute(2, 0, 1).float() for x in (photo, worse)]
    assert abs(float(psnr(*ours, data_range=1.0)) - theirs_psnr) < 0.01
    assert abs(float(ssim(*ours, data_range=1.0)) - theirs_ssim) < 0.001


def test_luma_is_scikit_images_ycbcr_y():
    """The Y channel super-resolution scores use is scikit-image's ``rgb2ycbcr`` Y (BT.601, [16, 235])."""
    from skimage import data
    from skimage.color import rgb2ycbcr

    photo = data.astronaut()[:64, :64].astype(np.float64) / 255
    theirs = rgb2ycbcr(photo)[..., 0] / 255
    ours = rgb_to_y(torch.from_numpy(photo).permute(2, 0, 1))[0].numpy()
    assert np.abs(ours - theirs).max() < 1e-6
