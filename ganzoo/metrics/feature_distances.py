"""Sample-quality metrics computed on feature vectors (InceptionV3 pool3 features, usually).

Every function takes torch tensors of features, ``real`` (N x D) and ``fake`` (M x D), on any
device, and returns Python floats. They know nothing about images or networks: extracting the
features is :mod:`ganzoo.eval.inception`'s job, so the same functions score any feature space.

- **Fréchet distance** (:func:`frechet_distance`; FID on Inception features, Heusel et al.,
  arXiv 1706.08500): the distance between the two Gaussians with the sets' means and
  covariances, ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` (Dowson & Landau 1982).
  Lower is better; biased upwards for small sets, so only compare values from equally many
  samples (the usual 50,000 fakes against the training set).
- **Kernel distance** (:func:`kernel_distance`; KID, Bińkowski et al., arXiv 1801.01401): the
  unbiased estimate of the squared maximum mean discrepancy with the cubic polynomial kernel
  ``k(x, y) = (x.y / D + 1)^3``, averaged over random subsets. Unbiased, so it is ~0 (and can
  be slightly negative) when both sets come from one distribution, whatever their size.
- **Precision and recall** (:func:`precision_recall`, Kynkäänniemi et al., arXiv 1904.06991):
  each set's manifold is the union of balls around its samples with radius the distance to
  the k-th nearest neighbour in the same set. Precision: the share of fakes inside the real
  manifold (fidelity); recall: the share of reals inside the fake manifold (diversity).
- **Density and coverage** (:func:`density_coverage`, Naeem et al., arXiv 2002.09797): with
  the real balls only, which outliers inflate less. Density: how many real balls hold each
  fake, divided by k (about 1 when the distributions match; can exceed 1); coverage: the share
  of real samples whose ball holds at least one fake.
- **Inception score** (:func:`inception_score`, Salimans et al., arXiv 1606.03498):
  ``exp(E_x KL(p(y|x) || p(y)))`` from classifier logits, per split; needs no real data. Between
  1 and the number of classes; higher is better.

Everything is computed in float64 (on the CPU where the device has none, i.e. MPS): the values
are differences of large sums (the covariance terms of FD, the kernel sums of KID). Sums and
pairwise distances go a block of rows at a time, so 10,000 x 10,000 sets need a few hundred
MB, not the full matrix, and float32 features are never copied whole to float64 for FD/KID.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganzoo.errors import ConfigError, DataError

__all__ = [
    "density_coverage",
    "feature_stats",
    "frechet_distance",
    "frechet_distance_from_stats",
    "inception_score",
    "kernel_distance",
    "precision_recall",
]

#: Elements of one block of a pairwise matrix (float64: 128 MiB); rows per block follow from it.
_BLOCK_ELEMENTS = 1 << 24


def _rows_per_block(columns: int) -> int:
    return max(1, _BLOCK_ELEMENTS // max(1, columns))


def _work_device(device: torch.device) -> torch.device:
    """MPS has no float64: compute there on the CPU instead."""
    return torch.device("cpu") if device.type == "mps" else device


def _features(x: Tensor, name: str, minimum: int = 1) -> Tensor:
    if not isinstance(x, Tensor):
        raise ConfigError(f"{name} must be a torch tensor, got {type(x).__name__}")
    if x.ndim != 2:
        raise ConfigError(f"{name} must be a 2-D (samples x dimensions) tensor, got shape {tuple(x.shape)}")
    if x.shape[0] < minimum:
        raise ConfigError(f"{name}: {x.shape[0]} sample(s), at least {minimum} needed")
    if x.shape[1] < 1:
        raise ConfigError(f"{name} have no dimensions (shape {tuple(x.shape)})")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise DataError(f"{name} contain NaN or infinite values; the images or the network produced them")
    return x


def _pair(real: Tensor, fake: Tensor, minimum: int = 1,
          dtype: torch.dtype | None = torch.float64) -> tuple[Tensor, Tensor]:
    """Validated real and fake features on one (float64-capable) device, converted to ``dtype``
    (None: kept as they are, for callers that convert block by block)."""
    real = _features(real, "real features", minimum)
    fake = _features(fake, "fake features", minimum)
    if real.shape[1] != fake.shape[1]:
        raise ConfigError(
            f"real and fake features have different dimensions ({real.shape[1]} and {fake.shape[1]}); "
            "extract both with the same network"
        )
    device = _work_device(real.device)
    return real.to(device, dtype or real.dtype), fake.to(device, dtype or fake.dtype)


# ----------------------------------------------------------------------------------------- FD


def feature_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of ``features`` (N x D, N >= 2), in float64.

    Two passes over blocks of rows (mean first, then centred products), so a 50,000 x 2048 set
    in float32 is never copied whole to float64 and the covariance does not lose digits to
    the large mean that Inception features have.
    """
    features = _features(features, "features", minimum=2)
    device = _work_device(features.device)
    n, dim = features.shape
    rows = _rows_per_block(dim)
    total = torch.zeros(dim, dtype=torch.float64, device=device)
    for block in features.split(rows):
        total += block.to(device, torch.float64).sum(0)
    mean = total / n
    cov = torch.zeros(dim, dim, dtype=torch.float64, device=device)
    for block in features.split(rows):
        centred = block.to(device, torch.float64) - mean
        cov += centred.T @ centred
    return mean, cov / (n - 1)


def _psd_sqrt(matrix: Tensor) -> Tensor:
    """Square root of a symmetric positive semi-definite matrix by eigen-decomposition."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance_from_stats(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64.

    ``tr((S1 S2)^(1/2))`` is the sum of the square roots of the eigenvalues of the symmetric
    PSD matrix ``S1^(1/2) S2 S1^(1/2)`` (it is similar to ``S1 S2``). Unlike ``sqrtm(S1 @ S2)``,
    this needs no eps on the diagonal when the covariances are singular (fewer samples than
    dimensions) and never yields complex parts; tiny negative eigenvalues from rounding are
    clamped to zero.
    """
    device = _work_device(torch.as_tensor(mu1).device)

    def as64(t: Tensor) -> Tensor:
        return torch.as_tensor(t).to(device, torch.float64)

    mu1, sigma1, mu2, sigma2 = as64(mu1), as64(sigma1), as64(mu2), as64(sigma2)
    if mu1.ndim != 1 or mu2.ndim != 1:
        raise ConfigError(f"means must be vectors, got shapes {tuple(mu1.shape)} and {tuple(mu2.shape)}")
    dim = mu1.shape[0]
    if mu2.shape[0] != dim or sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise ConfigError(
            f"statistics of different dimensions: means {tuple(mu1.shape)} and {tuple(mu2.shape)}, "
            f"covariances {tuple(sigma1.shape)} and {tuple(sigma2.shape)}"
        )
    for t in (mu1, sigma1, mu2, sigma2):
        if not bool(torch.isfinite(t).all()):
            raise DataError("feature statistics contain NaN or infinite values")
    root1 = _psd_sqrt(sigma1)
    inner = root1 @ sigma2 @ root1
    eigenvalues = torch.linalg.eigvalsh((inner + inner.T) / 2)
    trace_sqrt = eigenvalues.clamp_min(0).sqrt().sum()
    diff = mu1 - mu2
    value = diff @ diff + torch.trace(sigma1) + torch.trace(sigma2) - 2 * trace_sqrt
    # Exactly >= 0; rounding of identical statistics can give -1e-12.
    return max(0.0, float(value))


def frechet_distance(real: Tensor, fake: Tensor) -> float:
    """Fréchet distance between the Gaussians fitted to ``real`` (N x D) and ``fake`` (M x D);
    FID when both are InceptionV3 pool3 features. Both sets need at least 2 samples."""
    real, fake = _pair(real, fake, minimum=2, dtype=None)
    return frechet_distance_from_stats(*feature_stats(real), *feature_stats(fake))


# ---------------------------------------------------------------------------------------- KID


def _kernel_sum(x: Tensor, y: Tensor) -> Tensor:
    """Sum over all pairs of the cubic polynomial kernel ``(x.y / D + 1)^3``, by row blocks."""
    dim = x.shape[1]
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for block in x.split(_rows_per_block(y.shape[0])):
        total += ((block @ y.T) / dim + 1).pow(3).sum()
    return total


def _kernel_diagonal_sum(x: Tensor) -> Tensor:
    return ((x * x).sum(1) / x.shape[1] + 1).pow(3).sum()


def _mmd2_unbiased(x: Tensor, y: Tensor) -> float:
    """Unbiased MMD^2 of two equally large samples: the within-set means leave out the i == j
    terms (whose kernel values are not samples of k(x, x') for independent x, x')."""
    m = x.shape[0]
    within = (_kernel_sum(x, x) - _kernel_diagonal_sum(x) + _kernel_sum(y, y) - _kernel_diagonal_sum(y)) / (m * (m - 1))
    between = _kernel_sum(x, y) / (m * m)
    return float(within - 2 * between)


def kernel_distance(real: Tensor, fake: Tensor, subsets: int = 100, subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """KID: the unbiased MMD^2 with the kernel ``(x.y / D + 1)^3``, as (mean, std) over ``subsets``
    random subsets of ``min(subset_size, len(real), len(fake))`` samples of each set.

    Subsets are drawn without replacement (each its own random permutation) by a
    ``torch.Generator`` seeded with ``seed``, so a call is reproducible. The std is the spread
    over subsets (population std, as the reference implementations report it), not a standard
    error. Values are often quoted x 1000.
    """
    real, fake = _pair(real, fake, minimum=2, dtype=None)
    if int(subsets) < 1:
        raise ConfigError(f"KID needs at least 1 subset, got subsets={subsets}")
    if int(subset_size) < 2:
        raise ConfigError(f"KID subsets need at least 2 samples, got subset_size={subset_size}")
    size = min(int(subset_size), real.shape[0], fake.shape[0])
    generator = torch.Generator().manual_seed(int(seed))
    values = []
    for _ in range(int(subsets)):
        real_index = torch.randperm(real.shape[0], generator=generator)[:size].to(real.device)
        fake_index = torch.randperm(fake.shape[0], generator=generator)[:size].to(fake.device)
        values.append(_mmd2_unbiased(real[real_index].to(torch.float64), fake[fake_index].to(torch.float64)))
    scores = torch.tensor(values, dtype=torch.float64)
    return float(scores.mean()), float(scores.std(correction=0))


# ------------------------------------------------------------------- k-NN manifold metrics


def _squared_distances(a: Tensor, b: Tensor, b_norms: Tensor) -> Tensor:
    """|a_i - b_j|^2 for a block of rows ``a`` against all of ``b`` (float64, clamped at 0)."""
    d = (a * a).sum(1, keepdim=True) - 2 * (a @ b.T) + b_norms
    return d.clamp_min_(0)


def _knn_radii(x: Tensor, k: int) -> Tensor:
    """Squared distance from each sample of ``x`` to its k-th nearest neighbour in ``x`` (itself
    excluded: the sample's own distance 0 is the first of the sorted row)."""
    norms = (x * x).sum(1)[None]
    radii = []
    for block in x.split(_rows_per_block(x.shape[0])):
        radii.append(_squared_distances(block, x, norms).kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def _check_k(k: int, *sets: tuple[str, Tensor]) -> int:
    k = int(k)
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    for name, x in sets:
        if x.shape[0] <= k:
            raise ConfigError(f"{name} features: {x.shape[0]} samples, more than k={k} needed for k-NN radii")
    return k


def _share_inside(points: Tensor, centres: Tensor, radii: Tensor) -> float:
    """Share of ``points`` inside at least one ball (``centres``, squared ``radii``); closed balls
    as in Kynkäänniemi et al.'s reference code."""
    norms = (centres * centres).sum(1)[None]
    inside = 0
    for block in points.split(_rows_per_block(centres.shape[0])):
        inside += int((_squared_distances(block, centres, norms) <= radii[None]).any(1).sum())
    return inside / points.shape[0]


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., arXiv 1904.06991) with k-NN balls.

    Precision: the share of fakes within the real manifold; recall: the share of reals within
    the fake manifold. Both in [0, 1], higher is better. Each set needs more than k samples.
    """
    real, fake = _pair(real, fake)
    k = _check_k(k, ("real", real), ("fake", fake))
    precision = _share_inside(fake, real, _knn_radii(real, k))
    recall = _share_inside(real, fake, _knn_radii(fake, k))
    return precision, recall


def density_coverage(real: Tensor, fake: Tensor, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al., arXiv 2002.09797) with the real k-NN balls only.

    Density: the mean over fakes of the number of real balls holding the fake, divided by k;
    coverage: the share of reals whose ball holds at least one fake (nearest fake closer than
    the k-th nearest real). Open balls (strict ``<``) as in the authors' code.
    """
    real, fake = _pair(real, fake)
    k = _check_k(k, ("real", real))
    radii = _knn_radii(real, k)
    real_norms = (real * real).sum(1)[None]
    count = 0
    for block in fake.split(_rows_per_block(real.shape[0])):
        count += int((_squared_distances(block, real, real_norms) < radii[None]).sum())
    fake_norms = (fake * fake).sum(1)[None]
    covered = 0
    rows = _rows_per_block(fake.shape[0])
    for start in range(0, real.shape[0], rows):
        nearest = _squared_distances(real[start:start + rows], fake, fake_norms).min(1).values
        covered += int((nearest < radii[start:start + rows]).sum())
    return count / (k * fake.shape[0]), covered / real.shape[0]


# ----------------------------------------------------------------------------------------- IS


def inception_score(logits: Tensor, splits: int = 10) -> tuple[float, float]:
    """Inception score from classifier ``logits`` (N x classes): (mean, std) over ``splits``
    consecutive parts, the i-th being rows ``i*N//splits`` to ``(i+1)*N//splits`` as in the
    original code. The softmax is taken here, in float64. Std is the population std.

    For the published IS, pass the 1008 logits of the FID InceptionV3 *without* the fc bias
    (:meth:`ganzoo.eval.inception.FIDInceptionV3.unbiased_logits`), as the original code did.
    """
    logits = _features(logits, "logits")
    splits = int(splits)
    if splits < 1:
        raise ConfigError(f"inception score needs at least 1 split, got splits={splits}")
    n = logits.shape[0]
    if n < splits:
        raise ConfigError(f"inception score: {n} samples cannot make {splits} splits; give more samples or fewer splits")
    log_p = torch.log_softmax(logits.to(_work_device(logits.device), torch.float64), dim=1)
    p = log_p.exp()
    scores = []
    for i in range(splits):
        rows = slice(i * n // splits, (i + 1) * n // splits)
        part_log_p, part_p = log_p[rows], p[rows]
        log_marginal = part_p.mean(0).log()
        terms = torch.where(part_p > 0, part_p * (part_log_p - log_marginal), torch.zeros_like(part_p))
        scores.append(math.exp(float(terms.sum(1).mean())))
    values = torch.tensor(scores, dtype=torch.float64)
    return float(values.mean()), float(values.std(correction=0))
