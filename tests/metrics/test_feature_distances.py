"""Feature-space metrics against direct NumPy/SciPy computations and known closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist

from ganzoo.metrics import feature_distances as fm
from ganzoo.errors import ConfigError, DataError


def gaussian(n: int, mean, cov, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.multivariate_normal(np.asarray(mean, float), np.asarray(cov, float), size=n))


def random_cov(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def scipy_fd(x: np.ndarray, y: np.ndarray) -> float:
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


# ------------------------------------------------------------------------------------- FD


def test_feature_stats_are_mean_and_unbiased_covariance_in_float64(monkeypatch):
    x = gaussian(50, np.full(6, 1e3), random_cov(6, 0), seed=1).float()
    monkeypatch.setattr(fm, "_BLOCK_ELEMENTS", 60)  # 10 rows a block: the sums really run by blocks
    mean, cov = fm.feature_stats(x)
    assert mean.dtype == cov.dtype == torch.float64
    ref = x.double().numpy()
    np.testing.assert_allclose(mean.numpy(), ref.mean(0), rtol=1e-12)
    np.testing.assert_allclose(cov.numpy(), np.cov(ref, rowvar=False), rtol=1e-10, atol=1e-10)


def test_frechet_distance_matches_scipy_sqrtm():
    d = 12
    real = gaussian(400, np.zeros(d), random_cov(d, 1), seed=2)
    fake = gaussian(300, np.linspace(-0.5, 0.5, d), random_cov(d, 3), seed=4)
    expected = scipy_fd(real.numpy(), fake.numpy())
    assert expected > 1.0
    assert fm.frechet_distance(real, fake) == pytest.approx(expected, rel=1e-9)
    assert fm.frechet_distance(real.float(), fake.float()) == pytest.approx(expected, rel=1e-5)


def test_frechet_distance_of_known_gaussians_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, -2.0, 0.5]), np.array([1.0, 1.0, 0.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 0.25, 2.0]), np.array([2.0, 1.0, 1.0, 2.0])
    # Diagonal covariances commute: FD = |mu1 - mu2|^2 + sum (sqrt(v1) - sqrt(v2))^2.
    exact = float(((mu1 - mu2) ** 2).sum() + ((np.sqrt(var1) - np.sqrt(var2)) ** 2).sum())
    stats = [torch.from_numpy(v) for v in (mu1, np.diag(var1), mu2, np.diag(var2))]
    assert fm.frechet_distance_from_stats(*stats) == pytest.approx(exact, rel=1e-12)
    real = gaussian(40_000, mu1, np.diag(var1), seed=5)
    fake = gaussian(40_000, mu2, np.diag(var2), seed=6)
    assert fm.frechet_distance(real, fake) == pytest.approx(exact, abs=0.1)


def test_frechet_distance_from_stats_non_commuting_matches_scipy():
    d = 8
    mu1, mu2 = np.zeros(d), np.ones(d) * 0.3
    s1, s2 = random_cov(d, 7), random_cov(d, 8)
    expected = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2) - 2 * np.trace(sqrtm(s1 @ s2).real))
    got = fm.frechet_distance_from_stats(*(torch.from_numpy(v) for v in (mu1, s1, mu2, s2)))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_symmetric_and_zero_for_identical_sets():
    a = gaussian(200, np.zeros(5), random_cov(5, 9), seed=10)
    b = gaussian(150, np.ones(5), random_cov(5, 11), seed=12)
    assert fm.frechet_distance(a, b) == pytest.approx(fm.frechet_distance(b, a), rel=1e-10)
    assert fm.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_with_singular_covariances():
    # Fewer samples than dimensions: rank-deficient covariances, where sqrtm(S1 S2) needs an eps.
    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(10, 40)), rng.normal(size=(12, 40)) + 0.2
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)

    def psd_sqrt(s):
        w, v = np.linalg.eigh(s)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    # tr((S1 S2)^(1/2)) is the nuclear norm of S1^(1/2) S2^(1/2): an independent route.
    nuclear = np.linalg.svd(psd_sqrt(s1) @ psd_sqrt(s2), compute_uv=False).sum()
    expected = float(((x.mean(0) - y.mean(0)) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * nuclear)
    got = fm.frechet_distance(torch.from_numpy(x), torch.from_numpy(y))
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_errors():
    with pytest.raises(ConfigError, match="at least 2"):
        fm.frechet_distance(torch.zeros(1, 4), torch.randn(5, 4))
    with pytest.raises(ConfigError, match="different dimensions"):
        fm.frechet_distance(torch.randn(5, 4), torch.randn(5, 3))
    with pytest.raises(ConfigError, match="dimensions"):
        fm.frechet_distance_from_stats(torch.zeros(3), torch.eye(3), torch.zeros(4), torch.eye(4))
    with pytest.raises(ConfigError, match="2-D"):
        fm.frechet_distance(torch.randn(5), torch.randn(5, 1))
    with pytest.raises(DataError, match="NaN"):
        fm.frechet_distance(torch.tensor([[0.0], [float("nan")]]), torch.randn(5, 1))
    try:
        fm.feature_stats(torch.zeros(1, 3))
    except ConfigError as exc:
        assert "\n" not in str(exc)


# ------------------------------------------------------------------------------------ KID


def numpy_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1) ** 3


def numpy_mmd2(x: np.ndarray, y: np.ndarray, biased: bool = False) -> float:
    m = x.shape[0]
    kxx, kyy, kxy = numpy_kernel(x, x), numpy_kernel(y, y), numpy_kernel(x, y)
    if biased:
        return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())
    off = lambda k: (k.sum() - np.trace(k)) / (m * (m - 1))  # noqa: E731
    return float(off(kxx) + off(kyy) - 2 * kxy.mean())


def test_kid_matches_direct_computation_on_whole_sets(monkeypatch):
    real = gaussian(40, np.zeros(6), np.eye(6), seed=20)
    fake = gaussian(40, np.full(6, 0.3), np.eye(6), seed=21)
    expected = numpy_mmd2(real.numpy(), fake.numpy())
    # subset_size >= both sets: every subset is a whole set (permuted), so std is 0.
    mean, std = fm.kernel_distance(real, fake, subsets=3, subset_size=1000)
    assert mean == pytest.approx(expected, rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-12)
    monkeypatch.setattr(fm, "_BLOCK_ELEMENTS", 50)  # kernel sums over many row blocks
    assert fm.kernel_distance(real, fake, subsets=1)[0] == pytest.approx(expected, rel=1e-10)


def test_kid_subsets_are_seeded_permutations_and_std_is_over_subsets():
    real = gaussian(50, np.zeros(4), np.eye(4), seed=26)
    fake = gaussian(35, np.full(4, 0.3), np.eye(4), seed=27)
    # The documented scheme: one generator seeded with `seed`; per subset a permutation of the
    # reals, then one of the fakes, each cut to min(subset_size, 50, 35) = 20.
    g = torch.Generator().manual_seed(5)
    values = []
    for _ in range(6):
        r, f = torch.randperm(50, generator=g)[:20], torch.randperm(35, generator=g)[:20]
        values.append(numpy_mmd2(real[r].numpy(), fake[f].numpy()))
    mean, std = fm.kernel_distance(real, fake, subsets=6, subset_size=20, seed=5)
    assert std > 0
    assert (mean, std) == pytest.approx((np.mean(values), np.std(values)), rel=1e-10)


def test_kid_of_identical_sets_is_at_the_floor():
    x = gaussian(30, np.zeros(4), np.eye(4), seed=22)
    k = numpy_kernel(x.numpy(), x.numpy())
    m = k.shape[0]
    # X == Y: 2 (sum K - tr K) / (m (m - 1)) - 2 sum K / m^2 = -2 (mean diag - mean all) / (m - 1) < 0.
    floor = -2 * (np.trace(k) / m - k.mean()) / (m - 1)
    mean, std = fm.kernel_distance(x, x.clone(), subsets=2, subset_size=m)
    assert floor < 0
    assert mean == pytest.approx(floor, rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_kid_is_unbiased_for_one_distribution():
    rng = np.random.default_rng(23)
    unbiased, biased = [], []
    for trial in range(300):
        x, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 5))
        unbiased.append(fm.kernel_distance(torch.from_numpy(x), torch.from_numpy(y), subsets=1, subset_size=30, seed=trial)[0])
        biased.append(numpy_mmd2(x, y, biased=True))
    unbiased, biased = np.array(unbiased), np.array(biased)
    standard_error = unbiased.std(ddof=1) / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 4 * standard_error
    # The test can tell: the biased (V-statistic) estimator is far above 0 on the same draws.
    assert biased.mean() > 10 * standard_error


def test_kid_positive_for_shifted_distributions_and_reproducible():
    real = gaussian(300, np.zeros(8), np.eye(8), seed=24)
    fake = gaussian(300, np.full(8, 0.5), np.eye(8), seed=25)
    mean, std = fm.kernel_distance(real, fake, subsets=20, subset_size=100, seed=3)
    assert mean > 0 and mean > 5 * std > 0
    assert fm.kernel_distance(real, fake, subsets=20, subset_size=100, seed=3) == (mean, std)
    assert fm.kernel_distance(real, fake, subsets=20, subset_size=100, seed=4) != (mean, std)


def test_kid_errors():
    with pytest.raises(ConfigError):
        fm.kernel_distance(torch.randn(10, 3), torch.randn(10, 4))
    with pytest.raises(ConfigError, match="subset"):
        fm.kernel_distance(torch.randn(10, 3), torch.randn(10, 3), subsets=0)


# ----------------------------------------------------------------------- PR, density, coverage


def reference_prdc(real: np.ndarray, fake: np.ndarray, k_pr: int, k_dc: int):
    rr, ff, rf = cdist(real, real), cdist(fake, fake), cdist(real, fake)
    r_radius = lambda k: np.sort(rr, axis=1)[:, k]  # noqa: E731 - column 0 is the point itself
    f_radius = np.sort(ff, axis=1)[:, k_pr]
    precision = (rf <= r_radius(k_pr)[:, None]).any(0).mean()
    recall = (rf <= f_radius[None, :]).any(1).mean()
    density = (rf < r_radius(k_dc)[:, None]).sum() / (k_dc * fake.shape[0])
    coverage = (rf.min(1) < r_radius(k_dc)).mean()
    return precision, recall, density, coverage


@pytest.mark.parametrize("block", [None, 37])
def test_prdc_match_brute_force(monkeypatch, block):
    if block:
        monkeypatch.setattr(fm, "_BLOCK_ELEMENTS", block)  # many small row blocks
    real = gaussian(60, np.zeros(6), np.eye(6), seed=30)
    fake = gaussian(50, np.full(6, 0.4), np.eye(6) * 1.5, seed=31)
    precision, recall, density, coverage = reference_prdc(real.numpy(), fake.numpy(), 3, 5)
    assert 0 < precision < 1 and 0 < recall < 1 and 0 < coverage < 1
    assert fm.precision_recall(real, fake, k=3) == pytest.approx((precision, recall), abs=1e-12)
    assert fm.density_coverage(real, fake, k=5) == pytest.approx((density, coverage), abs=1e-12)


def test_prdc_identical_and_disjoint_sets():
    x = gaussian(80, np.zeros(5), np.eye(5), seed=32)
    assert fm.precision_recall(x, x.clone()) == (1.0, 1.0)
    assert fm.density_coverage(x, x.clone())[1] == 1.0
    far = x + 1000.0
    assert fm.precision_recall(x, far) == (0.0, 0.0)
    assert fm.density_coverage(x, far) == (0.0, 0.0)


def test_recall_and_coverage_halve_when_half_the_modes_are_dropped():
    # The classic 2-D mixture: 10 unit Gaussians on a circle of radius 20.
    angles = np.arange(10) * 2 * np.pi / 10
    centres = 20.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    rng = np.random.default_rng(33)
    sample = lambda modes, n: torch.from_numpy(np.concatenate([c + rng.normal(size=(n, 2)) for c in modes]))  # noqa: E731
    real, all_modes, half_modes = sample(centres, 60), sample(centres, 60), sample(centres[:5], 120)
    assert min(fm.precision_recall(real, all_modes)) > 0.9
    assert fm.density_coverage(real, all_modes)[1] > 0.9
    precision, recall = fm.precision_recall(real, half_modes)
    density, coverage = fm.density_coverage(real, half_modes)
    assert precision > 0.9
    assert 0.4 < recall <= 0.5
    assert 0.4 < coverage <= 0.5
    assert 0.8 < density < 1.2  # the fakes are where reals are, as densely


def test_prdc_errors():
    with pytest.raises(ConfigError, match="k=3"):
        fm.precision_recall(torch.randn(3, 2), torch.randn(10, 2))
    with pytest.raises(ConfigError, match="at least 1"):
        fm.density_coverage(torch.randn(10, 2), torch.randn(10, 2), k=0)


# ------------------------------------------------------------------------------------- IS


def test_inception_score_of_uniform_and_confident_predictions():
    assert fm.inception_score(torch.zeros(50, 1008), splits=5) == pytest.approx((1.0, 0.0), abs=1e-12)
    k = 7
    logits = torch.full((10 * k, k), -50.0)
    logits[torch.arange(10 * k), torch.arange(10 * k) % k] = 50.0  # every split holds each class once
    mean, std = fm.inception_score(logits, splits=10)
    assert mean == pytest.approx(k, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_inception_score_matches_direct_computation_with_uneven_splits():
    logits = torch.from_numpy(np.random.default_rng(40).normal(scale=3.0, size=(103, 12)))
    p = torch.softmax(logits, 1).numpy()
    scores = []
    for i in range(4):
        part = p[i * 103 // 4:(i + 1) * 103 // 4]
        kl = (part * (np.log(part) - np.log(part.mean(0, keepdims=True)))).sum(1).mean()
        scores.append(np.exp(kl))
    assert fm.inception_score(logits.float(), splits=4) == pytest.approx((np.mean(scores), np.std(scores)), rel=1e-6)


def test_inception_score_errors():
    with pytest.raises(ConfigError, match="splits"):
        fm.inception_score(torch.zeros(5, 10), splits=10)


# ------------------------------------------------------------------------------------ CUDA


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_metrics_on_cuda_match_cpu():
    real = gaussian(120, np.zeros(16), np.eye(16), seed=50).float()
    fake = gaussian(100, np.full(16, 0.2), np.eye(16), seed=51).float()
    for fn in (fm.frechet_distance, fm.kernel_distance, fm.precision_recall, fm.density_coverage):
        assert fn(real.cuda(), fake.cuda()) == pytest.approx(fn(real, fake), rel=1e-6, abs=1e-9)
    assert fm.inception_score(real.cuda(), splits=4) == pytest.approx(fm.inception_score(real, splits=4), rel=1e-6)
