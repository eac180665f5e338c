"""``ganzoo.save_grid`` keeps what is on disk, as ``ganzoo sample -o`` does: a file that exists is
replaced only when asked (``overwrite=True``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.errors import GanzooError


def test_save_grid_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "grid.png"
    path.write_bytes(b"a picture of mine")
    images = torch.zeros(4, 1, 8, 8)
    with pytest.raises(GanzooError, match=r"grid.png exists already.*overwrite=True") as info:
        ganzoo.save_grid(images, path)
    assert "\n" not in str(info.value) and isinstance(info.value, FileExistsError)
    assert path.read_bytes() == b"a picture of mine" and [p.name for p in tmp_path.iterdir()] == ["grid.png"]
    ganzoo.save_grid(images, path, overwrite=True)
    assert path.read_bytes().startswith(b"\x89PNG")
