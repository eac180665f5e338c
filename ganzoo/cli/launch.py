"""``ganzoo run --nproc N``: check the run here, then re-run the same command under torchrun.

Everything that can be refused is refused in this process, as one line with exit 2, before
any process starts: the run itself (:func:`ganzoo.api.plan_run`), a taken ``--out``, a batch
that does not split over N processes, a device the processes cannot share. Torch-free except
for asking whether CUDA is there (``--sync-bn``); the workers run the ordinary ``ganzoo run``,
with the torch-free checks of :mod:`ganzoo.training.world`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import threading
from typing import Any, Sequence

from ganzoo.api import plan_run
from ganzoo.errors import ConfigError
from ganzoo.io.run_folder import check_new_run_dir
from ganzoo.training.world import SYNC_BN_NEEDS_CUDA, check_device_name, check_world, env_world


def strip_nproc(argv: Sequence[str]) -> list[str]:
    """``argv`` without ``--nproc N`` / ``--nproc=N`` (or an abbreviation argparse accepts)."""
    out: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        name, eq, _ = token.partition("=")
        if len(name) >= 4 and "--nproc".startswith(name):
            skip = not eq
            continue
        out.append(token)
    return out


def launch_cli(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """``ganzoo run --nproc N ...``: check the run here (one line, exit 2, before any process
    starts), fix its run folder, then :func:`launch` the same command under torchrun."""
    if env_world() is not None:
        raise ConfigError("--nproc starts its own processes; leave it out when torchrun starts them")
    argv = strip_nproc(args.argv)
    plan = plan_run(args.model, out=args.out, resume=args.resume, config=args.config, **overrides)
    if not plan.resume:
        if args.out:
            check_new_run_dir(args.out)
        else:  # decided once, here: every process must write to the same folder
            argv += ["--out", str(plan.run_dir)]
    config = plan.config
    check_world(config.batch_size, args.nproc)
    check_device_name(config.device)
    if config.sync_bn and (config.device == "cpu" or not _cuda_available()):
        raise ConfigError(SYNC_BN_NEEDS_CUDA)
    return launch(args.nproc, argv)


def _cuda_available() -> bool:
    import torch  # only for --sync-bn, once the run is otherwise known to be fine

    return torch.cuda.is_available()


def launch_command(nproc: int, argv: Sequence[str]) -> list[str]:
    """The ``torch.distributed.run`` command line that runs ``ganzoo ARGV`` in ``nproc`` processes."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "ganzoo", *strip_nproc(argv)]


def launch(nproc: int, argv: Sequence[str]) -> int:
    """Run ``ganzoo ARGV`` in ``nproc`` processes under torchrun; its exit code, or 130 after Ctrl-C.

    torchrun starts in its own session, so a terminal Ctrl-C reaches it once, from here: it
    forwards SIGINT to the workers, which checkpoint at the same step and stop. Later Ctrl-Cs
    are not forwarded (torchrun kills workers that take longer than its shutdown timeout).
    """
    proc = subprocess.Popen(launch_command(nproc, argv), start_new_session=True)
    received: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        if not received:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)
            print("ganzoo: stopping: the processes save a checkpoint at their next step", file=sys.stderr, flush=True)
        received.append(signum)

    main_thread = threading.current_thread() is threading.main_thread()  # only there can signals be caught
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received and code != 0:
        return 130
    return code
