"""Task adapters: how to make fakes from a batch and how to ask the discriminator.

The trainer only calls these methods, so one loop serves every task. A batch is the pair
``(images, labels)`` that :class:`ganzoo.data.BatchStream` yields (labels may be None).

This module imports torch only inside the methods, so that the configuration layer can ask
:func:`needs_labels` (a torch-free question) before anything heavy is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ganzoo.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ganzoo.core.latent_codes import LatentCodes


#: The ways an image-to-image model can translate: ``model.transform(x, direction=...)``.
DIRECTIONS = ("AtoB", "BtoA")


class Showcase(NamedTuple):
    """The fixed inputs every sample grid of a run is drawn from, so grids compare across steps:
    noise and labels, or held-out inputs with their targets."""

    noise: Any = None
    condition: Any = None
    targets: Any = None


class TaskAdapter:
    """What every adapter has: the latent size, the number of classes, and the noise."""

    name = ""
    #: Whether batches must carry class labels (the dataset must be labelled).
    needs_labels = False
    #: Whether the generator turns input images into images (``model.transform``), so quality is
    #: measured on held-out pairs beside :meth:`baseline` rather than against a real floor.
    image_to_image = False
    #: How users name what the generator does to an input ("translated", "upscaled").
    verb = ""
    #: What :meth:`baseline` is, in reports.
    baseline_label = ""
    #: Whether inputs must be the training image size (Pix2Pix's U-Net); else any size works.
    fixed_input_size = False

    def __init__(self, nz: int, num_classes: int = 0) -> None:
        self.nz = nz
        self.num_classes = num_classes

    @classmethod
    def from_config(cls, config: dict) -> TaskAdapter:
        """The adapter for nets built from the architecture ``config``."""
        return cls(int(config.get("nz", 0)), int(config.get("num_classes", 0)))

    def noise(self, n: int, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
        import torch

        return torch.randn(n, self.nz, device=device, generator=generator)

    def generate(self, net: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Fakes from the generator ``net`` for noise ``z`` (and the batch's labels)."""
        raise NotImplementedError

    def fakes(self, net: nn.Module, z: torch.Tensor | None, condition: Any) -> torch.Tensor:
        """The fakes of a training step (what the discriminator scores and the generator's loss
        sees): :meth:`generate`, except for tasks whose training sees more than their use does
        (an unpaired model translates both ways at once)."""
        return self.generate(net, z, condition)

    def discriminator_fakes(self, fakes: torch.Tensor) -> torch.Tensor:
        """The (detached) fakes the discriminator step scores: this step's, or a history of them."""
        return fakes

    def batches(self, dataset: Any, batch_size: int, device: torch.device, seed: int, **shard: Any) -> Any:
        """The endless, checkpointable stream of training batches ``(images, condition)``; any
        training state of the task itself starts here, from ``seed``."""
        from ganzoo.data import BatchStream

        return BatchStream(dataset, batch_size, device, seed, **shard)

    def state_dict(self) -> dict[str, Any]:
        """Training state the task keeps (checkpointed when not empty)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave."""

    def facing(self, direction: str | None) -> TaskAdapter:
        """The adapter that translates in ``direction`` (``"AtoB"``, ``"BtoA"``; None: the task's
        own). One-way tasks translate A to B only."""
        if direction not in (None, *DIRECTIONS):
            raise ConfigError(f"direction must be {' or '.join(DIRECTIONS)}, got {direction!r}")
        if direction not in (None, DIRECTIONS[0]):
            raise ConfigError(f"a {self.name} model translates one way only (AtoB); direction {direction} needs an "
                              "unpaired model such as cyclegan")
        return self

    def score(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The discriminator's logits, shape ``(N,)``, for ``images`` under the batch's condition."""
        raise NotImplementedError

    def generate_eval(
        self, net: nn.Module, z: torch.Tensor | None, condition: torch.Tensor | None, batch_size: int = 256
    ) -> torch.Tensor:
        """Fakes in eval mode (batch norm uses its running statistics and does not update them),
        ``batch_size`` at a time, without gradients; the net's mode is restored after."""
        import torch

        n = len(z) if z is not None else len(condition)
        part = lambda t, i: None if t is None else t[i : i + batch_size]  # noqa: E731
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad():
                return torch.cat([self.generate(net, part(z, i), part(condition, i)) for i in range(0, n, batch_size)])
        finally:
            net.train(was_training)

    def sample_labels(self, n: int, device: torch.device) -> torch.Tensor | None:
        """The labels of ``n`` samples when the caller gives none (``None``: unconditional)."""
        raise NotImplementedError

    def split(self, dataset: Any, seed: int) -> tuple[Any, Any]:
        """``(training data, held-out examples)``. Models drawn from noise train on every image and
        are judged against the real data's floor, so nothing is held out (None)."""
        return dataset, None

    def showcase(self, n: int, seed: int, device: torch.device, held_out: Any = None, dataset: Any = None) -> Showcase:
        """Fixed noise (made on the CPU from ``seed``, so every device shows the same grid) and labels."""
        import torch

        noise = self.noise(n, torch.device("cpu"), torch.Generator().manual_seed(seed))
        return Showcase(noise.to(device) if noise is not None else None, self.sample_labels(n, device))

    def grid(self, showcase: Showcase, outputs: torch.Tensor) -> tuple[torch.Tensor, int | None]:
        """The images of a sample grid and its row length (None: square)."""
        return outputs, None


class NoiseTask(TaskAdapter):
    """noise -> image: ``G(z)`` and ``D(x)``. An architecture that declares latent codes
    (``categorical_code``, ``continuous_codes``: InfoGAN) gets them drawn after the noise
    (:mod:`ganzoo.core.latent_codes`); :attr:`codes` is their layout (None: plain noise)."""

    name = "noise"
    needs_labels = False

    def __init__(self, nz: int, num_classes: int = 0, codes: LatentCodes | None = None) -> None:
        super().__init__(nz, num_classes)
        self.codes = codes

    @classmethod
    def from_config(cls, config: dict) -> NoiseTask:
        from ganzoo.core.latent_codes import LatentCodes

        return cls(int(config.get("nz", 0)), int(config.get("num_classes", 0)), LatentCodes.from_config(config))

    def noise(self, n: int, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
        z = super().noise(n, device, generator)
        return z if self.codes is None else self.codes.append(z, generator)

    def generate(self, net: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(z)

    def score(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(images)

    def sample_labels(self, n: int, device: torch.device) -> torch.Tensor | None:
        """The labels of a sample grid: none for unconditional models."""
        return None


class ClassTask(TaskAdapter):
    """(noise, label) -> image: ``G(z, y)`` and ``D(x, y)``; batches hold images and labels.

    The discriminator always sees the labels of the batch it scores: the real labels for the
    real images and, since the fakes of a step are generated from the same labels, for the
    fakes too (so a gradient penalty's interpolates are scored under them as well).
    """

    name = "class"
    needs_labels = True

    def generate(self, net: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(z, self._require(labels))

    def score(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(images, self._require(labels))

    def sample_labels(self, n: int, device: torch.device) -> torch.Tensor:
        """Cycle through the classes: ``0, 1, ..., K-1, 0, 1, ...``."""
        import torch

        if self.num_classes < 1:
            raise ConfigError("a class-conditional model needs num_classes >= 1 to draw labels")
        return torch.arange(n, device=device) % self.num_classes

    def grid(self, showcase: Showcase, outputs: torch.Tensor) -> tuple[torch.Tensor, int | None]:
        """One column per class."""
        return outputs, self.num_classes

    def _require(self, labels: torch.Tensor | None) -> torch.Tensor:
        if labels is None:
            raise ConfigError("a class-conditional model needs a label for every image")
        return labels


class PairedTask(TaskAdapter):
    """image -> image (Pix2Pix): ``G(input)`` and ``D(image, input)``; batches hold (target, input).

    There is no noise input (Pix2Pix's randomness is the generator's dropout). Quality is
    measured against the input itself as the baseline (identity) and, in ``ganzoo eval``, against
    the classical method the dataset names, if any (``ganzoo.eval.classical``: nl-means for a
    denoiser).
    """

    name = "paired"
    image_to_image = True
    verb = "translated"
    baseline_label = "input as output (identity)"
    fixed_input_size = True

    def noise(self, n: int, device: torch.device, generator: torch.Generator | None = None) -> None:
        return None

    def generate(self, net: nn.Module, z: torch.Tensor | None, condition: torch.Tensor | None) -> torch.Tensor:
        return net(self._require(condition))

    def score(self, net: nn.Module, images: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        return net(images, self._require(condition))

    def sample_labels(self, n: int, device: torch.device) -> None:
        return None

    def split(self, dataset: Any, seed: int) -> tuple[Any, Any]:
        """A fixed, seeded tenth of the pairs (at most 64) is held out: quality is measured on pairs
        the run never trains on."""
        from ganzoo.data import split_holdout

        return split_holdout(dataset, seed)

    def showcase(self, n: int, seed: int, device: torch.device, held_out: Any = None, dataset: Any = None) -> Showcase:
        """The first (at most 8) held-out inputs and their targets."""
        from ganzoo.data import as_float

        n = min(n, 8, len(held_out))
        return Showcase(None, as_float(held_out.inputs[:n], device), as_float(held_out.images[:n], device))

    def grid(self, showcase: Showcase, outputs: torch.Tensor) -> tuple[torch.Tensor, int | None]:
        """One row per example: input, (baseline,) output, target."""
        rows = self.comparison(showcase.condition, outputs, showcase.targets)
        return rows, len(rows) // len(outputs)

    def baseline(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """What doing nothing gives: the input, with the target's channels and size."""
        return _like(inputs, targets, "nearest")

    def held_out_scores(self, inputs: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[dict[str, float], dict[str, float]]:
        """(the outputs' scores, the baseline's scores) against ``targets``: what the trainer
        logs and ``ganzoo eval`` prints for image-to-image models."""
        return self.scores(outputs, targets), self.scores(self.baseline(inputs, targets), targets)

    def scores(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        from ganzoo.metrics.image_quality import image_scores

        return {**image_scores(outputs, targets), "l1": (outputs.clamp(-1, 1) - targets).abs().mean().item()}

    #: What each column of :meth:`comparison` shows (the labels of ``ganzoo sample --input``'s panels).
    comparison_labels: tuple[str, ...] = ("input", "output", "target")

    def comparison(self, inputs: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Rows of (input, output, target) for a sample grid."""
        import torch

        return torch.stack([_like(inputs, targets, "nearest"), outputs, targets], 1).flatten(0, 1)

    def _require(self, condition: torch.Tensor | None) -> torch.Tensor:
        if condition is None:
            raise ConfigError(f"a {self.name} model needs an input image for every output")
        return condition


class SuperresTask(PairedTask):
    """low resolution -> high resolution (SRGAN): ``G(low)`` and an unconditional ``D(image)``.

    Quality is measured on the Y channel with a ``scale``-pixel border crop, against bicubic
    upsampling as the baseline, which is the classical method a user would otherwise call (the
    label says so; the figures keep their ``baseline_*`` names).
    """

    name = "superres"
    verb = "upscaled"
    baseline_label = "classical: bicubic upscaling"
    fixed_input_size = False

    def __init__(self, nz: int = 0, num_classes: int = 0, scale: int = 4) -> None:
        super().__init__(nz, num_classes)
        self.scale = scale

    @classmethod
    def from_config(cls, config: dict) -> SuperresTask:
        return cls(scale=int(config.get("scale", 4)))

    def score(self, net: nn.Module, images: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        return net(images)

    def baseline(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return _like(inputs, targets, "bicubic")

    def scores(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        from ganzoo.metrics.image_quality import sr_scores

        return sr_scores(outputs, targets, self.scale)

    comparison_labels = ("input", "bicubic", "output", "target")

    def comparison(self, inputs: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Rows of (input, bicubic, output, target) for a sample grid."""
        import torch

        rows = [_like(inputs, targets, "nearest"), self.baseline(inputs, targets), outputs, targets]
        return torch.stack(rows, 1).flatten(0, 1)


class UnpairedTask(PairedTask):
    """A <-> B without pairs (CycleGAN): batches pack an A image and a B image drawn independently
    (:mod:`ganzoo.core.unpaired`); the generator translates both halves at once in training and
    one way in use (:meth:`facing`: A to B unless asked otherwise); the discriminator scores each
    half with its own net. The discriminator sees a history of fakes (:class:`~ganzoo.core.image_pool.ImagePool`,
    ``pool_size`` per domain; 0: none).

    Quality is measured where pairs are known (the offline demo holds out whole photographs with
    their edge maps): the A to B translation against the true B image, beside the identity
    baseline, exactly as the paired task does. Data without known pairs holds nothing out.
    """

    name = "unpaired"
    fixed_input_size = False

    def __init__(self, nz: int = 0, num_classes: int = 0, pool_size: int = 50, channels: int = 3, image_size: int = 64,
                 direction: str = "AtoB") -> None:
        super().__init__(nz, num_classes)
        self.pool_size, self.channels, self.image_size, self.direction = pool_size, channels, image_size, direction
        self.pools: tuple[Any, Any] | None = None

    @classmethod
    def from_config(cls, config: dict) -> UnpairedTask:
        return cls(pool_size=int(config.get("pool_size", 50)), channels=int(config.get("channels", 3)),
                   image_size=int(config.get("image_size", 64)))

    def generate(self, net: nn.Module, z: torch.Tensor | None, condition: torch.Tensor | None) -> torch.Tensor:
        return net(self._require(condition), self.direction)

    def fakes(self, net: nn.Module, z: torch.Tensor | None, condition: Any) -> torch.Tensor:
        """Both directions of a packed batch: ``cat([G_BA(b), G_AB(a)])``."""
        return net(self._require(condition))

    def score(self, net: nn.Module, images: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        return net(images)

    def facing(self, direction: str | None) -> UnpairedTask:
        if direction not in (None, *DIRECTIONS):
            raise ConfigError(f"direction must be {' or '.join(DIRECTIONS)}, got {direction!r}")
        turned = type(self)(self.nz, self.num_classes, self.pool_size, self.channels, self.image_size,
                            direction or self.direction)
        return turned

    def split(self, dataset: Any, seed: int) -> tuple[Any, Any]:
        """Held-out pairs by photograph where the dataset knows some (``held_out``), else none."""
        if dataset.held_out is None:
            return dataset, None
        return super().split(dataset, seed)

    def batches(self, dataset: Any, batch_size: int, device: torch.device, seed: int, **shard: Any) -> Any:
        from ganzoo.core.image_pool import ImagePool
        from ganzoo.core.unpaired import UnpairedBatches

        shape = (self.channels, self.image_size, self.image_size)
        self.pools = (ImagePool(self.pool_size, shape, seed + 2), ImagePool(self.pool_size, shape, seed + 3))
        return UnpairedBatches(dataset, batch_size, device, seed, **shard)

    def discriminator_fakes(self, fakes: torch.Tensor) -> torch.Tensor:
        """Each half through its domain's pool of past fakes."""
        from ganzoo.core.unpaired import halves, pack

        assert self.pools is not None, "batches() starts the pools"
        fake_a, fake_b = halves(fakes)
        return pack(self.pools[0].query(fake_a), self.pools[1].query(fake_b))

    def state_dict(self) -> dict[str, Any]:
        return {} if self.pools is None or not self.pool_size else {"pool_a": self.pools[0].state_dict(),
                                                                     "pool_b": self.pools[1].state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.pools is not None and state:
            self.pools[0].load_state_dict(state["pool_a"])
            self.pools[1].load_state_dict(state["pool_b"])

    def showcase(self, n: int, seed: int, device: torch.device, held_out: Any = None, dataset: Any = None) -> Showcase:
        """Held-out inputs and their true targets; without known pairs, the first (at most 8)
        training A images alone."""
        if held_out is not None:
            return super().showcase(n, seed, device, held_out)
        from ganzoo.data import as_float

        return Showcase(None, as_float(dataset.inputs[: min(n, 8)], device), None)

    def grid(self, showcase: Showcase, outputs: torch.Tensor) -> tuple[torch.Tensor, int | None]:
        """One row per example: input, output (, true target when known)."""
        if showcase.targets is not None:
            return super().grid(showcase, outputs)
        import torch

        return torch.stack([showcase.condition, outputs], 1).flatten(0, 1), 2


def _like(images: torch.Tensor, reference: torch.Tensor, mode: str) -> torch.Tensor:
    """``images`` resized (``mode``) and channel-repeated to the reference's shape, in [-1, 1]."""
    import torch.nn.functional as F

    if images.shape[-2:] != reference.shape[-2:]:
        images = F.interpolate(images, size=reference.shape[-2:], mode=mode, **({} if mode == "nearest" else {"align_corners": False}))
    if images.shape[1] != reference.shape[1]:
        images = images.expand(-1, reference.shape[1], -1, -1) if images.shape[1] == 1 else images.mean(1, keepdim=True)
    return images.clamp(-1, 1)


ADAPTERS: dict[str, type[TaskAdapter]] = {"noise": NoiseTask, "class": ClassTask, "paired": PairedTask, "superres": SuperresTask,
                                          "unpaired": UnpairedTask}


def needs_labels(task: str) -> bool:
    """Whether training a model of ``task`` needs a labelled dataset (False for tasks without an adapter)."""
    adapter = ADAPTERS.get(task)
    return bool(adapter and adapter.needs_labels)


def adapter_for(task: str, config: dict) -> TaskAdapter:
    """The adapter of ``task`` for nets built from ``config``."""
    if task not in ADAPTERS:
        raise ConfigError(f"the trainer has no adapter for the {task!r} task yet")
    return ADAPTERS[task].from_config(config)
