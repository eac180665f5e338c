"""Paired datasets: ``paired:PATH`` (side-by-side A|B or folders A/ and B/) and ``edges2photos``."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from ganzoo.data.datasets import BatchStream, load_dataset
from ganzoo.errors import DataError
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets import photos
from ganzoo_plugins.datasets.paired import CROPS_PER_PHOTO, HELD_OUT_CROPS_PER_PHOTO

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)


def load(name, size=16):
    return load_dataset(get_registry(), name, size)


def side_by_side(path, left, right, size=(24, 20), mode="RGB"):
    """A pix2pix-style image: ``left`` fills the A half, ``right`` the B half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new(mode, (2 * size[0], size[1]), left)
    img.paste(Image.new(mode, size, right), (size[0], 0))
    img.save(path)


def solid(path, color, size=(20, 24), mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def mean_colour(images):
    return images.float().mean(dim=(2, 3)).round()


def test_side_by_side_halves_become_inputs_and_targets(tmp_path):
    side_by_side(tmp_path / "train" / "1.png", RED, BLUE)
    side_by_side(tmp_path / "train" / "2.jpg", GREEN, RED)
    side_by_side(tmp_path / "val" / "3.png", BLUE, BLUE)  # PATH/train wins over the other splits
    ds = load(f"paired:{tmp_path}")
    assert ds.inputs.shape == ds.images.shape == (2, 3, 16, 16)
    assert ds.inputs.dtype == ds.images.dtype == torch.uint8 and ds.labels is None
    assert mean_colour(ds.inputs[:1]).tolist() == [list(RED)]
    assert mean_colour(ds.images[:1]).tolist() == [list(BLUE)]
    assert (mean_colour(ds.inputs[1:]) - torch.tensor(GREEN)).abs().max() < 4  # JPEG
    batch, condition = next(BatchStream(ds, 2, torch.device("cpu"), seed=0))
    assert batch.shape == condition.shape == (2, 3, 16, 16)
    assert set(batch[:, 2].mean(dim=(1, 2)).round().tolist()) <= {1.0, -1.0}


def test_side_by_side_folder_without_splits(tmp_path):
    side_by_side(tmp_path / "a.png", RED, BLUE)
    ds = load(f"paired:{tmp_path}")
    assert mean_colour(ds.inputs).tolist() == [list(RED)] and mean_colour(ds.images).tolist() == [list(BLUE)]


def test_a_and_b_folders_pair_by_name_and_pick_channels_per_side(tmp_path):
    # Sorted A and B listings would pair 1 with 1 and 2 with 2 either way; the extensions
    # differ, the grey levels tell which A went with which B.
    for name, grey, colour in (("1", 40, RED), ("2", 200, BLUE)):
        solid(tmp_path / "A" / f"{name}.png", grey, mode="L")
        solid(tmp_path / "B" / f"{name}.bmp", colour)
    ds = load(f"paired:{tmp_path}")
    assert ds.inputs.shape == (2, 1, 16, 16) and ds.images.shape == (2, 3, 16, 16)
    assert mean_colour(ds.inputs).flatten().tolist() == [40, 200]
    assert mean_colour(ds.images).tolist() == [list(RED), list(BLUE)]


def test_rgb_files_with_grey_content_count_as_grey(tmp_path):
    side_by_side(tmp_path / "1.png", (90, 90, 90), RED)
    ds = load(f"paired:{tmp_path}")
    assert ds.inputs.shape[1] == 1 and ds.images.shape[1] == 3
    assert ds.inputs.unique().tolist() == [90]


def test_mismatched_names_list_the_unmatched(tmp_path):
    for name in ("x", "y", "z"):
        solid(tmp_path / "A" / f"{name}.png", RED)
    solid(tmp_path / "B" / "x.png", BLUE)
    solid(tmp_path / "B" / "w.png", BLUE)
    with pytest.raises(DataError, match=r"2 in .*A' have no partner in .*B' \(y, z\); 1 in .*B' .* \(w\)"):
        load(f"paired:{tmp_path}")


@pytest.mark.parametrize("layout", ["side-by-side", "folders"])
def test_too_small_images_are_refused_naming_the_file(tmp_path, layout):
    if layout == "side-by-side":
        side_by_side(tmp_path / "big.png", RED, BLUE, size=(20, 20))
        side_by_side(tmp_path / "small.png", RED, BLUE, size=(12, 20))
        match = r"left half \(A\) of '.*small\.png' is 12x20, smaller than the image size 16"
    else:
        solid(tmp_path / "A" / "p.png", RED)
        solid(tmp_path / "B" / "p.png", BLUE, size=(30, 10))
        match = r"B/p\.png' is 30x10, smaller than the image size 16"
    with pytest.raises(DataError, match=match):
        load(f"paired:{tmp_path}")


def test_odd_width_is_refused_naming_the_file(tmp_path):
    solid(tmp_path / "odd.png", RED, size=(41, 20))
    with pytest.raises(DataError, match=r"'.*odd\.png' is 41 pixels wide, an odd number"):
        load(f"paired:{tmp_path}")


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load(f"paired:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="holds no images; expected either side-by-side"):
        load(f"paired:{tmp_path}")
    solid(tmp_path / "A" / "1.png", RED)
    with pytest.raises(DataError, match="has no partner folder"):
        load(f"paired:{tmp_path}")
    with pytest.raises(DataError, match="needs an argument: --dataset paired:PATH"):
        load("paired")


def test_edges2photos_demo_is_deterministic_edge_photo_pairs():
    spec = get_registry().dataset("edges2photos")
    assert spec.image_size == 64 and not spec.labelled and not spec.argument
    ds = load("edges2photos", 64)
    n_train = sum(len(photos.photo_files(n)) for n in photos.TRAIN) * CROPS_PER_PHOTO
    n_held = sum(len(photos.photo_files(n)) for n in photos.HELD_OUT) * HELD_OUT_CROPS_PER_PHOTO
    assert ds.images.shape == (n_train + n_held, 3, 64, 64) and ds.inputs.shape == (n_train + n_held, 1, 64, 64)
    assert spec.held_out == photos.HELD_OUT and int(ds.held_out.sum()) == n_held and not ds.held_out[:n_train].any()
    assert [w.name for w in ds.whole] == [f.stem for n in photos.HELD_OUT for f in photos.photo_files(n)]
    assert all(w.input.shape == (1, *w.target.shape[-2:]) for w in ds.whole)
    assert ds.images.dtype == ds.inputs.dtype == torch.uint8
    again = load("edges2photos", 64)
    assert torch.equal(ds.images, again.images) and torch.equal(ds.inputs, again.inputs)
    # Crops differ from one another; edge maps are mostly white with dark lines.
    assert len({crop.numpy().tobytes() for crop in ds.images}) > 0.95 * len(ds)
    assert ds.inputs.float().mean() > 150 and (ds.inputs < 64).any()
    # The edges follow the photo: flat crops (sky) have nearly no edges, busy ones many.
    # (within one photograph: each photograph's edge map is scaled to its own 99th percentile)
    flatness = ds.images[:CROPS_PER_PHOTO].float().std(dim=(1, 2, 3))
    darkness = 255 - ds.inputs[:CROPS_PER_PHOTO].float().mean(dim=(1, 2, 3))
    assert torch.corrcoef(torch.stack([flatness, darkness]))[0, 1] > 0.5


def test_noisy2photos_pairs_photographs_with_their_seeded_noisy_versions():
    spec = get_registry().dataset("noisy2photos")
    assert spec.image_size == 64 and spec.held_out == photos.HELD_OUT
    ds = load("noisy2photos", 64)
    assert ds.images.shape == ds.inputs.shape and ds.inputs.shape[1] == 3
    noise = ds.inputs.float() - ds.images.float()
    assert 20 < noise.std() < 26  # sigma 25, less where clipping at 0 and 255 trims it
    assert abs(noise.mean()) < 1.5
    assert torch.equal(load("noisy2photos", 64).inputs, ds.inputs)  # the same noise in every run
    assert not ds.held_out[: len(ds) - int(ds.held_out.sum())].any()
    for whole in ds.whole:
        assert whole.input.shape == whole.target.shape and 15 < (whole.input.float() - whole.target.float()).std() < 26


def test_edges2fashion_pairs_edge_maps_with_items_and_holds_out_the_official_test_split(tmp_path):
    from ganzoo.data.splits import split_holdout
    from ganzoo_plugins.datasets.paired import edge_maps
    from tests.helpers.idx_files import TEST, TRAIN, write_set

    root = write_set(tmp_path / "fashion")
    pairs = load_dataset(get_registry(), "edges2fashion", 32, data_root=root)
    items = load_dataset(get_registry(), "fashion-mnist", 32, data_root=root)
    assert pairs.images.shape == (TRAIN, 1, 32, 32) and torch.equal(pairs.images, items.images)
    assert torch.equal(pairs.inputs, edge_maps(items.images)) and pairs.labels is None
    assert torch.equal(pairs.test.images, items.test.images) and torch.equal(pairs.test.inputs, edge_maps(items.test.images))
    train, held = split_holdout(pairs, seed=3)  # every training pair trains; the held-out pairs are the test split's
    assert len(train) == TRAIN and torch.equal(held.images, items.test.images) and len(held) == TEST
    assert len(split_holdout(pairs, seed=0, most=5)[1]) == 5
