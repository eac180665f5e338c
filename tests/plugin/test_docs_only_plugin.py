"""A plugin as the guide's reader writes it (issue 27): a ``view``-flattening discriminator under
channels-last batches fails in one line naming the plugin and the remedy (item 1), config.json
records the classes the plugin's dataset gave, not the architecture's default (item 7), and
evaluating on the plugin's dataset without Inception weights stops before any work (item 3)."""

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


def test_other_failures_in_a_plugins_forward_are_one_line_naming_it(tmp_path, view_plugin):
    with pytest.raises(PluginError, match=r"^training with architecture 'buggy' from distribution .*plugin 'viewplug'\) "
                                          r"failed: IndexError: index 1 is out of bounds.*--debug"):
        ganzoo.train("buggy", out=tmp_path / "run", progress=False)


def test_config_json_records_the_classes_the_plugin_dataset_gave(tmp_path, view_plugin):
    result = ganzoo.train("cgan", dataset="three-classes", out=tmp_path / "run", steps=1, batch_size=8, ngf=8, ndf=8,
                          progress=False)
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["architecture_config"]["num_classes"] == 3  # was the architecture's default, 10
    assert ganzoo.load(result.run_dir).card.config["num_classes"] == 3


def test_eval_without_inception_weights_fails_before_reading_data_and_names_features_digits(tmp_path, view_plugin,
                                                                                             monkeypatch, capsys):
    """Issue 27, item 3: a plugin's dataset means Inception under --features auto; a missing weights
    file is one line that names the offline route, before the dataset is read (or anything generated)."""
    from tests.helpers import view_plugin as plugin_module

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # no cached Inception weights
    result = ganzoo.train("viewflat", dataset="three-classes", out=tmp_path / "run", steps=1, progress=False,
                          channels_last=False)
    plugin_module.LOADS.clear()
    assert main(["eval", str(result.run_dir)]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("ganzoo: error: the FID InceptionV3 weights") and "--features digits" in error
    assert plugin_module.LOADS == []  # refused before any work


def test_zoo_add_evaluate_without_inception_weights_writes_nothing(tmp_path, view_plugin, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    result = ganzoo.train("viewflat", dataset="three-classes", out=tmp_path / "run", steps=1, progress=False,
                          channels_last=False)
    out = tmp_path / "weights"
    assert main(["zoo", "add", str(result.run_dir), "viewflat.three", "--out", str(out), "--evaluate"]) == 2
    assert "--features digits" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not out.exists()  # was: the fp16 file written, then the evaluation failed, and a rerun refused
