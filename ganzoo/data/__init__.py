"""Datasets by name, decoded once into memory, and the batch stream the trainer draws from."""

from ganzoo.data.datasets import (
    IMAGE_SUFFIXES,
    BatchStream,
    DatasetRequest,
    ImageDataset,
    as_float,
    default_data_root,
    interpolate_uint8,
    load_dataset,
    read_image_folder,
    resize_images,
    split_holdout,
)

__all__ = [
    "IMAGE_SUFFIXES", "BatchStream", "DatasetRequest", "ImageDataset", "as_float", "default_data_root",
    "interpolate_uint8", "load_dataset", "read_image_folder", "resize_images", "split_holdout",
]
