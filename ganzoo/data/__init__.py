"""Datasets by name, decoded once into memory, the seeded splits, and the batch stream the trainer draws from."""

from ganzoo.data.datasets import (
    IMAGE_SUFFIXES,
    BatchStream,
    DatasetRequest,
    as_float,
    default_data_root,
    interpolate_uint8,
    load_dataset,
    read_image_folder,
    resize_images,
)
from ganzoo.data.image_dataset import ImageDataset, ImageRows, WholeImage
from ganzoo.data.splits import split_holdout, split_indices, subset

__all__ = [
    "IMAGE_SUFFIXES", "BatchStream", "DatasetRequest", "ImageDataset", "ImageRows", "as_float", "default_data_root",
    "interpolate_uint8", "load_dataset", "read_image_folder", "resize_images", "split_holdout", "split_indices",
    "subset", "WholeImage",
]
