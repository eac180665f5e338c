"""A loss declares what its discriminator's scores are (``LossSpec.scores``), and runs record,
plot and log them accordingly (issue 27, item 5): logits of P(real) as probabilities in [0, 1],
critic scores raw."""

from __future__ import annotations

import json

import pytest
import torch.nn.functional as F

import ganzoo
from ganzoo.core.losses import Loss
from ganzoo.plugin import discovery
from ganzoo.report.run_records import read_run

TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, steps=2, log_every=1, progress=False)


class NonSaturating(Loss):
    """The non-saturating loss on logits, written as a plugin would: no ``scores_are_logits``."""

    def discriminator_loss(self, real_scores, fake_scores):
        return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()

    def generator_loss(self, fake_scores, real_scores=None):
        return F.softplus(-fake_scores).mean()


class ScoresPlugin:
    @ganzoo.hookimpl
    def register_losses(self, register):
        register(ganzoo.LossSpec(name="ns-logit", builder=f"{__name__}:NonSaturating", scores="probability_logit"))
        register(ganzoo.LossSpec(name="ns-undeclared", builder=f"{__name__}:NonSaturating"))
        register(ganzoo.LossSpec(name="bce-as-critic", builder="ganzoo_plugins.losses.bce:BCELoss", scores="critic"))


@pytest.mark.parametrize("loss, values", [("ns-logit", "probability"), ("ns-undeclared", "score"),
                                          ("bce-as-critic", "score"), ("bce", "probability")])
def test_the_spec_decides_how_runs_record_the_scores(tmp_path, register_plugin, loss, values):
    register_plugin(ScoresPlugin(), "scores")
    result = ganzoo.train("dcgan", loss=loss, out=tmp_path / "run", **TINY)
    [(_, histogram), *_] = read_run(result.run_dir).histograms
    assert histogram["values"] == values
    if values == "probability":
        assert (histogram["edges"][0], histogram["edges"][-1]) == (0.0, 1.0)


def test_scores_are_checked_and_shown_by_info(register_plugin, capsys):
    with pytest.raises(ValueError, match="scores must be one of 'probability_logit', 'critic'"):
        ganzoo.LossSpec(name="x", builder="m:f", scores="logits")
    register_plugin(ScoresPlugin(), "scores")
    assert discovery.get_registry().loss("ns-logit").scores == "probability_logit"
    from ganzoo.cli.main import main

    assert main(["info", "ns-logit", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scores"] == "probability_logit"
