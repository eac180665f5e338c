"""Dataset builders: each turns a :class:`DatasetRequest` into an ImageDataset (in memory, or mapped from the decoded-image cache)."""

from __future__ import annotations

import numpy as np
import torch

from ganzoo.data.datasets import DatasetRequest, ImageDataset, read_image_folder, resize_images
from ganzoo.errors import DataError


def digits(request: DatasetRequest) -> ImageDataset:
    """scikit-learn's digits: 8x8 grey levels 0-16, scaled to 0-255 and resized."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.from_numpy(np.rint(data.images * (255.0 / 16.0)).astype(np.uint8)).unsqueeze(1)
    labels = torch.from_numpy(data.target.astype(np.int64))
    return ImageDataset(resize_images(images, request.image_size), labels, [str(i) for i in range(10)])


def folder(request: DatasetRequest) -> ImageDataset:
    """``folder:PATH``: in memory when small, else decoded once into the cache and mapped."""
    return read_image_folder(request.argument, request.image_size, skip_bad=request.skip_bad_images)


def _torchvision(request: DatasetRequest, cls_name: str, folder_name: str) -> ImageDataset:
    import torchvision.datasets as tvd

    root = request.data_root
    try:
        ds = getattr(tvd, cls_name)(str(root), train=True, download=request.download)
    except RuntimeError as exc:
        if request.download:
            raise DataError(f"could not download {cls_name} into {root}: {exc}") from None
        raise DataError(
            f"{cls_name} is not under {root / folder_name}; add --download to fetch it, "
            f"or put the files there (or point --data-root at their parent folder)"
        ) from None
    data = ds.data if isinstance(ds.data, torch.Tensor) else torch.from_numpy(np.asarray(ds.data))
    images = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
    labels = torch.as_tensor(ds.targets, dtype=torch.int64)
    return ImageDataset(resize_images(images.to(torch.uint8), request.image_size), labels, list(ds.classes))


def cifar10(request: DatasetRequest) -> ImageDataset:
    return _torchvision(request, "CIFAR10", "cifar-10-batches-py")
