"""Structured latent codes beside the noise (InfoGAN, Chen et al., arXiv 1606.03657).

A noise generator whose architecture declares ``categorical_code`` (K values; 0: none) and
``continuous_codes`` (how many) reads the latent ``[z (nz), one-hot c_cat (K), c_cont]`` with
``z ~ N(0, I)``, ``c_cat ~ Cat(K, 1/K)`` and ``c_cont ~ U(-1, 1)``. The task adapter draws it
(:class:`ganzoo.core.tasks.NoiseTask`), so training, ``model.sample`` and the evaluator all give
the generator the codes it learnt on; a loss that trains a head to recover the codes from the
fakes reads them back with :meth:`LatentCodes.split`. Without codes nothing here runs and the
noise is drawn exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ganzoo.errors import ConfigError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class LatentCodes:
    """The layout of a latent with codes: ``nz`` noise dims, then ``categories`` one-hot dims,
    then ``continuous`` uniform dims."""

    nz: int
    categories: int = 0
    continuous: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LatentCodes | None:
        """The codes an architecture config declares, or None when it declares none."""
        categories, continuous = int(config.get("categorical_code", 0)), int(config.get("continuous_codes", 0))
        if categories == 0 and continuous == 0:
            return None
        if categories == 1:
            raise ConfigError("categorical_code must be 0 (none) or at least 2 values, got 1")
        return cls(int(config.get("nz", 0)), categories, continuous)

    @property
    def width(self) -> int:
        """Latent dims the codes add to ``nz``."""
        return self.categories + self.continuous

    def append(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``z`` (N x nz) with freshly drawn codes after it, from the same random stream."""
        import torch

        n, device = len(z), z.device
        parts = [z]
        if self.categories:
            index = torch.randint(self.categories, (n,), device=device, generator=generator)
            parts.append(self.one_hot(index, z.dtype))
        if self.continuous:
            parts.append(torch.rand(n, self.continuous, device=device, generator=generator, dtype=z.dtype) * 2 - 1)
        return torch.cat(parts, dim=1)

    def one_hot(self, index: torch.Tensor, dtype: Any = None) -> torch.Tensor:
        import torch.nn.functional as F

        return F.one_hot(index, self.categories).to(dtype or index.new_empty(()).float().dtype)

    def split(self, latent: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(categorical value of each row (N,), continuous codes (N x C))``; None for a code the
        layout lacks."""
        cat = latent[:, self.nz : self.nz + self.categories].argmax(1) if self.categories else None
        cont = latent[:, self.nz + self.categories :] if self.continuous else None
        return cat, cont

    def with_category(self, latent: torch.Tensor, index: int | torch.Tensor) -> torch.Tensor:
        """A copy of ``latent`` whose categorical code is ``index`` (one value, or one per row)."""
        import torch

        self._require_categories()
        out = latent.clone()
        index = torch.as_tensor(index, device=latent.device).expand(len(latent))
        out[:, self.nz : self.nz + self.categories] = self.one_hot(index, latent.dtype)
        return out

    def sweep(self, z: torch.Tensor, columns: int, code: int | None = 0, span: float = 2.0) -> torch.Tensor:
        """The latent of a codes grid: one row per categorical value, ``columns`` per row; along a
        row continuous code ``code`` goes from ``-span`` to ``span`` (the others stay 0), or, with
        ``code=None`` or without continuous codes, the noise changes (continuous codes at 0).
        ``z``: ``columns`` noise vectors (1 x nz is repeated); the paper's figures sweep past the
        training range [-1, 1] to [-2, 2]."""
        import torch

        self._require_categories()
        if columns < 1:
            raise ConfigError(f"a codes grid needs at least 1 column, got {columns}")
        if code is not None and self.continuous and not 0 <= code < self.continuous:
            raise ConfigError(f"continuous code {code} does not exist; this model has {self.continuous} "
                              f"(0-{self.continuous - 1})")
        z = z.expand(columns, -1) if len(z) == 1 else z[:columns]
        cont = torch.zeros(columns, self.continuous, device=z.device, dtype=z.dtype)
        if self.continuous and code is not None:
            cont[:, code] = torch.linspace(-span, span, columns, device=z.device, dtype=z.dtype)
        row = torch.cat([z, torch.zeros(columns, self.categories, device=z.device, dtype=z.dtype), cont], dim=1)
        return torch.cat([self.with_category(row, k) for k in range(self.categories)])

    def _require_categories(self) -> None:
        if not self.categories:
            raise ConfigError("this model has no categorical code (categorical_code is 0)")
