"""The plugin contract.

Each hook receives a ``register`` callback (the style of simonw/llm) and calls it once per
spec it contributes. Hooks run at discovery time, before torch is imported: register
*specs* (cheap frozen dataclasses whose builders are ``"module:attribute"`` strings),
never modules or tensors.
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "ganzoo"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_architectures(register: Callable) -> None:
    """Register generator/discriminator pairs: ``register(ArchitectureSpec(...))``."""


@hookspec
def register_losses(register: Callable) -> None:
    """Register adversarial objectives: ``register(LossSpec(...))``."""


@hookspec
def register_models(register: Callable) -> None:
    """Register zoo entries (architecture + loss + defaults): ``register(ModelSpec(...))``."""


@hookspec
def register_datasets(register: Callable) -> None:
    """Register datasets that ``--dataset NAME[:ARGUMENT]`` can name: ``register(DatasetSpec(...))``."""


@hookspec
def register_weights(register: Callable) -> None:
    """Register pretrained weights of registered models: ``register(WeightsSpec(...))``.

    Runs after ``register_models``; an entry whose model is not registered is dropped with a warning.
    """
