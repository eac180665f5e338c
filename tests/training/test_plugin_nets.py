"""A plugin's nets as the guide's reader writes them: a ``view``-flattening discriminator under
channels-last batches fails in one line naming the plugin and the remedy (issue 27, item 1), and
config.json records the classes the plugin's dataset gave, not the architecture's default (item 7)."""

from __future__ import annotations

import json

import pytest

import ganzoo
from ganzoo.cli.main import main
from ganzoo.errors import PluginError
from tests.helpers.view_plugin import ViewPlugin


@pytest.fixture
def view_plugin(register_plugin) -> None:
    register_plugin(ViewPlugin(), "viewplug")


def test_view_flattening_discriminator_fails_in_one_line_naming_plugin_and_remedy(tmp_path, view_plugin):
    with pytest.raises(PluginError, match=r"architecture 'viewflat' .*plugin 'viewplug'.*\.reshape.*--no-channels-last"):
        ganzoo.train("viewflat", out=tmp_path / "run", progress=False)


def test_view_flattening_discriminator_is_one_cli_line_and_trains_without_channels_last(tmp_path, view_plugin, capsys):
    assert main(["run", "viewflat", "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and errors[0].startswith("ganzoo: error: the nets of architecture 'viewflat'")
    assert "Traceback" not in err and "--no-channels-last" in errors[0] and err.endswith(errors[0] + "\n")
    assert main(["run", "viewflat", "--out", str(tmp_path / "run2"), "--no-progress", "--no-channels-last"]) == 0
    assert (tmp_path / "run2" / "generator.safetensors").is_file()


def test_config_json_records_the_classes_the_plugin_dataset_gave(tmp_path, view_plugin):
    result = ganzoo.train("cgan", dataset="three-classes", out=tmp_path / "run", steps=1, batch_size=8, ngf=8, ndf=8,
                          progress=False)
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["architecture_config"]["num_classes"] == 3  # was the architecture's default, 10
    assert ganzoo.load(result.run_dir).card.config["num_classes"] == 3
