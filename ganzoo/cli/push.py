"""``ganzoo push RUN_DIR|WEIGHTS OWNER/REPO``: a generator and its model card onto the Hugging Face Hub.

Thin over :func:`ganzoo.io.hub.push`, which checks everything local (the file is a ganzoo
generator, the repository name, the license) before a request is made, so a typo costs nothing.
"""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console


def add_parser(sub: Any) -> None:
    p = sub.add_parser("push", help=help_of("push"),
                       description="Upload a generator (a run folder's, or a .safetensors file) as generator.safetensors, "
                                   "a README.md model card made from its metadata and the run's last sample grid to a "
                                   "Hugging Face Hub model repository, created if missing. The token is huggingface_hub's "
                                   "(HF_TOKEN, or `hf auth login`); HF_ENDPOINT names another Hub.")
    p.add_argument("source", metavar="RUN_DIR|WEIGHTS", help="a run folder or a generator .safetensors file")
    p.add_argument("repo", metavar="OWNER/REPO", help="the model repository, e.g. someone/dcgan-digits")
    p.add_argument("--private", action="store_true", help="create the repository private (an existing one keeps its visibility)")
    p.add_argument("--revision", "--branch", dest="revision", metavar="BRANCH",
                   help="commit to this branch (created from main if missing; default main)")
    p.add_argument("--token", help="a Hub token with write access (default: HF_TOKEN or the `hf auth login` one)")
    p.add_argument("--license", help="the license the card claims: mit, apache-2.0, cc-by-4.0, ... (default: the file's, else other)")
    p.add_argument("--sample", metavar="PNG", help="the sample grid to show (default: the run folder's last samples/step-*.png)")
    p.add_argument("-m", "--message", help="the commit message")
    p.set_defaults(func=cmd_push)


def cmd_push(args: argparse.Namespace) -> int:
    from ganzoo.io.hub import push

    address = push(args.source, args.repo, private=args.private, revision=args.revision, token=args.token,
                   license=args.license, sample=args.sample, message=args.message)
    console().print(f"pushed {args.source} to {args.repo}; load it with ganzoo.load({address!r})", soft_wrap=True, markup=False)
    return 0
