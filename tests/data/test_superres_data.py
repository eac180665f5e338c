"""Super-resolution datasets: seeded random HR crops, bicubic LR inputs, the registered builders."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from ganzoo.data.datasets import BatchStream, load_dataset
from ganzoo.errors import DataError
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets.superres import (
    HELD_OUT_CROPS_PER_PHOTO,
    TRAIN_CROPS_PER_PHOTO,
    default_crops_per_image,
    make_superres,
    random_crops,
    superres_dataset,
)


def random_image(h, w, channels=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (channels, h, w), generator=g, dtype=torch.uint8)


def save(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    array = image.permute(1, 2, 0).numpy()
    Image.fromarray(array[..., 0] if image.shape[0] == 1 else array).save(path)


def bicubic(hr, scale):
    lr = F.interpolate(hr.float(), scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False)
    return lr.round().clamp(0, 255).to(torch.uint8)


def is_crop_of(crop, image):
    """Whether ``crop`` appears in ``image`` at some position."""
    size = crop.shape[-1]
    windows = image.unfold(1, size, 1).unfold(2, size, 1)  # C, H', W', size, size
    return bool((windows == crop[:, None, None]).flatten(3).all(3).all(0).any())


@pytest.mark.parametrize("scale", [2, 4])
def test_lr_is_antialiased_bicubic_downsampling_of_the_hr_crop(scale):
    hr = torch.stack([random_image(32, 32, seed=i) for i in range(3)])
    ds = make_superres(hr, scale)
    assert ds.images is not None and torch.equal(ds.images, hr)
    assert ds.inputs.shape == (3, 3, 32 // scale, 32 // scale) and ds.inputs.dtype == torch.uint8
    assert torch.equal(ds.inputs, bicubic(hr, scale))


def test_folder_crops_are_seeded_real_crops(tmp_path):
    photos = [random_image(40, 50, seed=1), random_image(33, 36, seed=2)]
    save(tmp_path / "a.png", photos[0])
    save(tmp_path / "sub" / "b.png", photos[1])  # found recursively
    (tmp_path / "notes.txt").write_text("not an image")
    ds = superres_dataset(tmp_path, image_size=16, scale=4, crops_per_image=5, seed=7)
    assert ds.images.shape == (10, 3, 16, 16) and ds.inputs.shape == (10, 3, 4, 4)
    assert ds.labels is None
    assert all(is_crop_of(c, photos[0]) for c in ds.images[:5]) and all(is_crop_of(c, photos[1]) for c in ds.images[5:])
    assert torch.equal(ds.inputs, bicubic(ds.images, 4))
    again = superres_dataset(tmp_path, image_size=16, scale=4, crops_per_image=5, seed=7)
    assert torch.equal(again.images, ds.images)
    other = superres_dataset(tmp_path, image_size=16, scale=4, crops_per_image=5, seed=8)
    assert not torch.equal(other.images, ds.images)
    # crops of image i do not depend on the images before it
    alone = superres_dataset([tmp_path / "a.png"], image_size=16, scale=4, crops_per_image=5, seed=7)
    assert torch.equal(alone.images, ds.images[:5])


def test_tensors_and_grayscale(tmp_path):
    gray = [random_image(20, 24, channels=1, seed=s) for s in range(2)]
    ds = superres_dataset(gray, image_size=16, scale=2, crops_per_image=3)
    assert ds.images.shape == (6, 1, 16, 16) and ds.inputs.shape == (6, 1, 8, 8)
    save(tmp_path / "g.png", gray[0])
    assert superres_dataset(tmp_path, 16, 2, 3).channels == 1
    mixed = superres_dataset([gray[0], random_image(20, 20, seed=3)], image_size=16, scale=2, crops_per_image=2)
    assert mixed.channels == 3  # RGB as soon as one image is
    assert torch.equal(mixed.images[0, 0], mixed.images[0, 1])


def test_default_number_of_crops():
    assert default_crops_per_image(1) == 512 and default_crops_per_image(2) == 256
    assert default_crops_per_image(100) == 16
    ds = superres_dataset([random_image(16, 16)] * 4, image_size=16, scale=4)
    assert len(ds) == 512


def test_random_crops_cover_the_corners():
    image = random_image(17, 17)
    crops = random_crops(image, 16, 64, torch.Generator().manual_seed(0))
    assert crops.shape == (64, 3, 16, 16)
    corners = {(int(torch.equal(c, image[:, :16, :16])), int(torch.equal(c, image[:, 1:, 1:]))) for c in crops}
    assert (1, 0) in corners and (0, 1) in corners


def test_errors(tmp_path):
    save(tmp_path / "small.png", random_image(12, 40))
    with pytest.raises(DataError, match=r"small\.png.* 40x12, smaller than the 16x16 crop"):
        superres_dataset(tmp_path, image_size=16, scale=4)
    with pytest.raises(DataError, match="not divisible by the scale 4"):
        superres_dataset(tmp_path, image_size=18, scale=4)
    with pytest.raises(DataError, match="not divisible by the scale 4"):
        make_superres(torch.zeros(1, 3, 18, 18, dtype=torch.uint8), 4)
    with pytest.raises(DataError, match="does not exist"):
        superres_dataset(tmp_path / "missing", image_size=16)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="holds no images"):
        superres_dataset(empty, image_size=16)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image .*x\.png"):
        superres_dataset(tmp_path / "broken", image_size=16)


def test_registered_superres_folder_dataset(tmp_path):
    for i in range(2):
        save(tmp_path / f"{i}.png", random_image(40, 40, seed=i))
    registry = get_registry()
    assert registry.dataset("superres").argument == "PATH"
    ds = load_dataset(registry, f"superres:{tmp_path}", 32)
    assert ds.images.shape == (512, 3, 32, 32) and ds.inputs.shape == (512, 3, 8, 8)
    with pytest.raises(DataError, match="needs an argument"):
        load_dataset(registry, "superres", 32)
    with pytest.raises(DataError, match="not divisible"):
        load_dataset(registry, f"superres:{tmp_path}", 30)
    # the batch stream yields (target, input) in [-1, 1]
    hr, lr = next(BatchStream(ds, 4, torch.device("cpu"), seed=0))
    assert hr.shape == (4, 3, 32, 32) and lr.shape == (4, 3, 8, 8)
    assert hr.min() >= -1 and hr.max() <= 1 and lr.min() >= -1 and lr.max() <= 1


def test_photos_sr_demo_is_offline_deterministic_and_split_by_photograph():
    from ganzoo_plugins.datasets import photos

    registry = get_registry()
    spec = registry.dataset("photos-sr")
    assert spec.image_size == 64 and not spec.argument and spec.held_out == photos.HELD_OUT
    ds = load_dataset(registry, "photos-sr", 64)
    train_files = sum(len(photos.photo_files(n)) for n in photos.TRAIN)
    held_files = sum(len(photos.photo_files(n)) for n in photos.HELD_OUT)
    n_train = train_files * TRAIN_CROPS_PER_PHOTO
    assert ds.images.shape == (n_train + held_files * HELD_OUT_CROPS_PER_PHOTO, 3, 64, 64)
    assert ds.inputs.shape == (len(ds), 3, 16, 16)
    assert torch.equal(ds.inputs[:8], bicubic(ds.images[:8], 4))
    assert torch.equal(load_dataset(registry, "photos-sr", 64).images[::64], ds.images[::64])
    # The held-out crops are exactly the last ones, and none of them appears among the training crops.
    assert int(ds.held_out.sum()) == len(ds) - n_train and not ds.held_out[:n_train].any()
    train_keys = {c.flatten()[:256].numpy().tobytes() for c in ds.images[:n_train]}
    assert not any(c.flatten()[:256].numpy().tobytes() in train_keys for c in ds.images[n_train:])
    # Whole held-out photographs: targets cut to a multiple of the scale, inputs their downsampling.
    assert [w.name for w in ds.whole] == [f.stem for n in photos.HELD_OUT for f in photos.photo_files(n)]
    for whole in ds.whole:
        assert whole.target.shape[-1] % 4 == 0 and whole.target.shape[-2] % 4 == 0
        assert whole.input.shape[-2:] == (whole.target.shape[-2] // 4, whole.target.shape[-1] // 4)
    with pytest.raises(DataError, match=r"photos-sr crops photographs as small as \d+ pixels; use an image size of at most"):
        load_dataset(registry, "photos-sr", 432)
