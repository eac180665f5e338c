"""Every command and code block of README.md and docs/*.md works as a reader pastes it.

Fast (the default run): every ``ganzoo`` command of the pages (fenced blocks and inline code)
goes through the real argument parser, and what it names must exist: a model, dataset, loss or
pretrained entry, ``--set`` keys (the run's config is resolved as ``ganzoo run`` resolves it),
scripts and extras; every Python block compiles and uses no name it does not define or import;
the README's Python blocks that need no training run. Slow: the README's other blocks run for
real in a fresh folder, in order, with short settings (``--steps 2``); a run folder a block
only reads (``runs/dcgan-digits``) is trained for 2 steps first. What cannot run here (the
reader's own files, the network, the Hub, several processes) is listed in ``NOT_RUN_HERE``
with the test that covers it, and each entry must still occur in the pages.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import re
import shlex
import symtable
import tomllib
from pathlib import Path

import pytest

from ganzoo.cli.main import build_parser, main
from ganzoo.cli.run import overrides_of
from ganzoo.core.config import resolve_config
from ganzoo.errors import GanzooError
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets.mnist_family import FASHION_MNIST, locate

from tests.helpers import REPO
from tests.helpers.doc_blocks import (DOCS, SHELL, Block, Command, code_blocks, ganzoo_argv, inline_commands,
                                      shell_commands)

README = REPO / "README.md"
COMMANDS = [c for doc in DOCS for b in code_blocks(doc, *SHELL) for c in shell_commands(b)]
GANZOO = [c for c in COMMANDS if ganzoo_argv(c) is not None]
OTHERS = [c for c in COMMANDS if ganzoo_argv(c) is None]
PYTHON = [b for doc in DOCS for b in code_blocks(doc, "python")]

#: Names only the plugin guide's example plugin and ``ganzoo new-plugin``'s template register
#: (their own tests install and run them: tests/plugin/test_guide_examples.py, test_author_path.py).
PLUGIN_NAMES = {"mlp-ragan": "examples/ganzoo-example-plugin", "mlp-ragan.digits": "docs/plugins.md",
                "acme-gan": "ganzoo/plugin/template.py"}
#: What the pages show but no test can run here, and where it is covered instead.
NOT_RUN_HERE = {
    "~/": "the reader's own image folders",
    "unpaired:horse2zebra": "the reader's own data",
    "--download": "the network (tests/hostile/test_downloads.py serves the files locally)",
    "hf://": "the Hugging Face Hub (tests/io/test_hub.py plays it on 127.0.0.1)",
    "ganzoo push": "the Hugging Face Hub (tests/io/test_hub.py)",
    "ganzoo.push(": "the Hugging Face Hub (tests/io/test_hub.py)",
    "--nproc": "several processes (tests/training/test_distributed.py)",
    "torchrun": "several processes (tests/training/test_distributed.py)",
    "netG_epoch_24.pth": "a pytorch/examples checkpoint (tests/interop/test_convert.py makes one)",
    "ganzoo install": "pip (tests/plugin/test_install.py installs for real)",
    "ganzoo uninstall": "pip (tests/plugin/test_install.py)",
    "run srgan": "ImageNet's VGG19 weights, which nothing downloads (tests/training/test_content.py)",
    "run esrgan --": "ImageNet's VGG19 weights (tests/training/test_content.py)",
    "tensorboard --logdir": "TensorBoard's own program",
    "eval runs/cyclegan-edges2photos-unpaired": "minutes of whole photographs through two ResNet generators on a CPU "
                                                "(tests/plugins/test_cyclegan.py evaluates a CycleGAN run)",
}
#: Files a block reads as if the reader had them: made in the block's folder first.
INPUT_FILES = ("photo.png", "photo.jpg", "noisy.png", "photos/a.png")
#: Run folders the README names without a `MODEL-DATASET` name: what trains them.
NAMED_RUNS = {"runs/mine": ("dcgan", {}), "runs/denoiser": ("pix2pix", {"dataset": "noisy2photos"})}
PLACEHOLDER = re.compile(r"(?<![\w-])[A-Z][A-Z_]*(?![\w-])")  # MODEL, RUN_DIR, N, FILE.onnx, KEY=VALUE
RUNS = re.compile(r"runs/[\w.-]+")


def pretrained_like(word: str) -> bool:
    """``dcgan.digits``: a pretrained name, not a file or folder."""
    return bool(re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", word)) and not re.search(r"\.(png|jpe?g|onnx|pth|pt|safetensors|toml|json)$", word)


def check_ganzoo(argv: list[str], where: str, fragment_ok: bool = False) -> None:
    """Parse ``argv`` as ``ganzoo`` does, then look up every name it gives."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            args = build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0:  # --version, --help
            return
        fragment = "the following arguments are required" in said.getvalue() or (
            "expected one argument" in said.getvalue() and argv[-1].startswith("-"))
        if fragment_ok and fragment:
            return  # inline prose naming a command's flag (`ganzoo sample --labels 0-9`, `ganzoo run --resume`)
        raise AssertionError(f"{where}: `ganzoo {shlex.join(argv)}` is refused by ganzoo's parser: {said.getvalue().strip()}") from None
    registry = get_registry()
    try:
        if args.command == "run" and args.model and args.model not in PLUGIN_NAMES:
            if not args.config and not args.resume:
                resolve_config(registry, args.model, overrides_of(args))  # model, loss, dataset, --set keys and values
        for target in (getattr(args, "weights", None), getattr(args, "target", None)):
            if target and pretrained_like(target) and target not in PLUGIN_NAMES:
                registry.pretrained(target)
        if args.command == "info" and args.name not in PLUGIN_NAMES:
            registry.find(args.name)
    except GanzooError as exc:
        raise AssertionError(f"{where}: `ganzoo {shlex.join(argv)}`: {exc}") from None


# ---------------------------------------------------------------- fast: every command parses and names what exists
@pytest.mark.parametrize("command", GANZOO, ids=lambda c: c.where)
def test_every_ganzoo_command_in_a_code_block_parses_and_names_what_exists(command: Command) -> None:
    check_ganzoo(ganzoo_argv(command), command.where)


def test_every_inline_ganzoo_command_parses_and_names_what_exists() -> None:
    inline = [c for doc in DOCS for c in inline_commands(doc)]
    checked = 0
    for command in inline:
        argv = ganzoo_argv(command)
        if any(w == "..." or PLACEHOLDER.search(w) for w in argv):  # `ganzoo run MODEL ...`: a pattern, not a command
            continue
        check_ganzoo(argv, command.where, fragment_ok=True)
        checked += 1
    assert checked > 40  # the zoo table's commands, the measured runs, the options' examples


def test_the_other_commands_name_files_and_extras_that_exist() -> None:
    extras = set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for command in OTHERS:
        words = list(command.words)
        if words[0].rpartition("/")[2] in ("python", "python3") and len(words) > 1 and words[1].endswith(".py"):
            assert (REPO / words[1]).is_file(), f"{command.where}: {words[1]} does not exist"
        for word in words:
            for extra in re.findall(r"^(?:ganzoo|\.)\[([\w,]+)\]$", word):
                assert set(extra.split(",")) <= extras, f"{command.where}: no extra {extra!r} in pyproject.toml"


def test_the_plugin_only_names_are_the_guides_and_the_templates() -> None:
    for name, home in PLUGIN_NAMES.items():
        path = REPO / home
        files = [p for p in path.rglob("*.py")] if path.is_dir() else [path]
        assert any(name in f.read_text(encoding="utf-8") for f in files), f"{name} is not registered in {home}"


def undefined_names(code: str, where: str) -> set[str]:
    """Names the block reads but never binds (by assignment, import, def, for, with, ...)."""
    table = symtable.symtable(code, where, "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    free: set[str] = set()

    def walk(t: symtable.SymbolTable) -> None:
        for s in t.get_symbols():
            if s.is_referenced() and (t is table or s.is_global()) and not (t is not table and s.is_declared_global()):
                free.add(s.get_name())
        for child in t.get_children():
            walk(child)

    walk(table)
    return {n for n in free - bound if not hasattr(builtins, n)}


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.where)
def test_every_python_block_defines_what_it_uses(block: Block) -> None:
    """Each block pastes into a fresh interpreter on its own: no name it does not import or define."""
    assert not undefined_names(block.body, block.where), f"{block.where}: undefined {sorted(undefined_names(block.body, block.where))}"


def test_the_undefined_name_check_catches_the_readmes_old_slips() -> None:
    assert undefined_names("import ganzoo\nsr = ganzoo.load('x')\nsr.upscale(PIL.Image.open('p'))\nsr.upscale(tensor)\n", "t") \
        == {"PIL", "tensor"}
    assert not undefined_names("import ganzoo\nfor i in range(3):\n    x = [j for j in range(i)]\ndef f(a):\n    return a + i\n", "t")


def test_a_renamed_entry_or_a_bad_flag_fails_the_check() -> None:
    with pytest.raises(AssertionError, match="dcgan.digitz"):
        check_ganzoo(["sample", "dcgan.digitz", "-o", "x.png"], "t")
    with pytest.raises(AssertionError, match="refused by ganzoo's parser"):
        check_ganzoo(["run", "dcgan", "--stepz", "3"], "t")
    with pytest.raises(AssertionError, match="ngff"):
        check_ganzoo(["run", "dcgan", "--set", "ngff=32"], "t")


def run_folders_made(commands: list[Command], python: list[Block]) -> set[str]:
    """The run folders the commands and Python blocks train: ``--out``/``out=``, else ``runs/MODEL-DATASET``."""
    registry, made = get_registry(), set()
    for command in commands:
        argv = ganzoo_argv(command)
        if not argv or "run" not in argv or any(w == "..." or PLACEHOLDER.search(w) for w in argv):
            continue
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                args, _ = build_parser().parse_known_args(argv)
        except SystemExit:  # a fragment of prose (`ganzoo run --resume`)
            continue
        if getattr(args, "command", None) != "run" or args.resume:
            continue
        if args.out or args.model in PLUGIN_NAMES or not args.model:
            made.add(args.out or "")
        else:
            made.add(f"runs/{args.model}-{args.dataset or registry.model(args.model).dataset}")
    for block in python:
        made.update(re.findall(r'out="(runs/[\w.-]+)"', block.body))
    return made


def test_every_run_folder_the_readme_reads_is_one_it_trains() -> None:
    """`ganzoo.load("runs/cgan-digits")` on a run the README never asks for fails a reader."""
    commands = [c for b in code_blocks(README, *SHELL) for c in shell_commands(b)] + inline_commands(README)
    made = run_folders_made(commands, code_blocks(README, "python"))
    text = README.read_text(encoding="utf-8")
    read = {m.group(0) for m in RUNS.finditer(text) if m.group(0).islower()}  # not runs/MODEL-DATASET
    assert sorted(read - made) == []


# ---------------------------------------------------------------- the quick start as pasted
def quick_start() -> list[Command]:
    text = README.read_text(encoding="utf-8")
    section = text.index("## Quick start")
    block = next(b for b in code_blocks(README, "bash") if text.count("\n", 0, section) < b.line)
    return shell_commands(block)


def test_the_quick_start_uses_the_venv_it_makes_and_shows_the_cpu_wheels() -> None:
    commands = quick_start()
    made = next(i for i, c in enumerate(commands) if c.words[:3] == ("python3", "-m", "venv"))
    activated = next((i for i, c in enumerate(commands) if c.words == ("source", ".venv/bin/activate")), None)
    for command in commands[made + 1:]:
        program = command.words[0]
        assert (activated is not None and commands.index(command) > activated) or program.startswith(".venv/bin/") \
            or command.words[0] == "source", f"{command.where}: `{command.text}` runs outside the venv"
    cpu = [c for c in commands if "--index-url" in c.words]
    assert cpu and cpu[0].words[cpu[0].words.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert {"torch", "torchvision"} <= set(cpu[0].words) and "constraints.txt" in cpu[0].words  # the pinned pair
    assert commands.index(cpu[0]) < next(i for i, c in enumerate(commands) if "." in c.words and "install" in c.words)


# ---------------------------------------------------------------- running the README's blocks
def not_run_here(text: str) -> str | None:
    return next((why for key, why in NOT_RUN_HERE.items() if key in text), None)


def test_what_is_not_run_here_is_still_in_the_pages() -> None:
    pages = "".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    assert [key for key in NOT_RUN_HERE if key not in pages] == []


def make_inputs(folder: Path) -> None:
    from PIL import Image

    for name in INPUT_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.radial_gradient("L").resize((24, 20)).convert("RGB").save(path)


def ensure_runs(text: str, folder: Path, made_here: set[str]) -> None:
    """Train, 2 steps, every ``runs/...`` folder ``text`` reads that does not exist yet."""
    import ganzoo

    registry = get_registry()
    for name in sorted(set(RUNS.findall(text)) - made_here):
        if (folder / name).exists():
            continue
        if name in NAMED_RUNS:
            model, settings = NAMED_RUNS[name]
        else:  # runs/MODEL-DATASET
            stem = name.removeprefix("runs/")
            model = max((m for m in registry.models.match(None) if stem.startswith(m.name + "-")), key=lambda m: len(m.name)).name
            settings = {"dataset": stem.removeprefix(model + "-")}
        ganzoo.train(model, out=folder / name, steps=2, log_every=1, progress=False, **settings)


def short(argv: list[str]) -> list[str]:
    """A ``run`` command with short settings (and no global ``--threads``: the test process keeps its own)."""
    if argv[:2] == ["--threads", "1"]:
        argv = argv[2:]
    if argv[0] != "run":
        return argv
    argv = list(argv)
    if "--steps" in argv:
        del argv[argv.index("--steps"):argv.index("--steps") + 2]
    extra = ["--steps", "3"] if "--resume" in argv else ["--steps", "2", "--log-every", "1"]
    return argv + extra + ["--no-progress"]


def heavy(block: Block) -> bool:
    """Whether a block trains, evaluates or reads a run folder (then it runs in the slow tests)."""
    if "runs/" in block.body:
        return True
    if block.lang == "python":
        return bool(re.search(r"\b(train|evaluate|plot_runs|export_onnx|convert)\(", block.body))
    return any((ganzoo_argv(c) or ["list"])[0] in ("run", "eval", "plot", "export", "convert", "zoo")
               for c in shell_commands(block))


def readme_blocks(fast: bool) -> list[Block]:
    """The README's Python and console blocks (its bash blocks install and benchmark), quick or heavy."""
    return [b for b in code_blocks(README, "python", "console") if heavy(b) != fast]


def run_block(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    make_inputs(folder)
    for toml in code_blocks(README, "toml"):  # `# dcgan-small.toml`: the config file a later command reads
        (folder / toml.body.splitlines()[0].removeprefix("# ").strip()).write_text(toml.body)
    if "fashion-mnist" in block.body and locate(FASHION_MNIST, None) is None:
        pytest.skip("Fashion-MNIST's files are not installed here (apt-get install dataset-fashion-mnist)")
    if block.lang == "python":
        made_here = {m for m in re.findall(r'out="(runs/[\w.-]+)"', block.body)}
        ensure_runs(block.body, folder, made_here)
        code = "\n".join(("pass  # not run here: " + line) if not_run_here(line) else line for line in block.body.splitlines())
        steps = iter(range(2, 100))
        code = re.sub(r"\bsteps=\d+", lambda m: f"steps={next(steps)}", code)
        code = code.replace("steps=2,", "steps=2, log_every=1, progress=False,")
        exec(compile(code, block.where, "exec"), {"__name__": "__readme__"})
        return
    not_made: set[str] = set()  # what a command not run here would have written (`convert ... -o dcgan.safetensors`)
    for command in shell_commands(block):
        argv = ganzoo_argv(command)
        plugin_only = set(argv or ()) & set(PLUGIN_NAMES)  # their tests install and run them
        if argv is None or not_run_here(command.text) or not_made & set(argv) or plugin_only:
            not_made.update(argv[argv.index("-o") + 1:argv.index("-o") + 2] if argv and "-o" in argv else [])
            continue
        out = argv[argv.index("--out") + 1] if "--out" in argv else None
        ensure_runs(" ".join(w for w in argv if w != out), folder, set())
        assert main(short(argv)) == 0, f"{command.where}: `{command.text}` failed"


@pytest.mark.parametrize("block", readme_blocks(fast=True), ids=lambda b: b.where)
def test_the_readmes_quick_blocks_run(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(block, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("block", readme_blocks(fast=False), ids=lambda b: b.where)
def test_the_readmes_training_blocks_run_with_short_settings(block: Block, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(block, tmp_path, monkeypatch)


# ---------------------------------------------------------------- the README's claims
def test_the_losses_table_states_each_losses_defaults() -> None:
    """Every number in the Losses table's settings column is what `ganzoo info LOSS` says."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Losses"):text.index("### What the defaults give")]
    registry, checked = get_registry(), 0
    for row in re.findall(r"^\| `([\w-]+)` \|.*$", table, re.M):
        line = next(l for l in table.splitlines() if l.startswith(f"| `{row}` |"))
        settings = line.split("|")[3]
        for key, number in re.findall(r"`(\w+)` \(?(-?\d[\d.]*(?:e-?\d+)?)", settings):
            assert float(registry.loss(row).defaults[key]) == float(number), \
                f"README's Losses table: {row} {key} {number}, but `ganzoo info {row}` says {registry.loss(row).defaults[key]}"
            checked += 1
    assert checked >= 6  # real_label, clip, gp_weight, a, b, c


def test_the_defaults_table_says_what_ganzoo_eval_measured() -> None:
    """The quick start's model quotes its `ganzoo eval` figures, and no row calls digits "clearly
    readable" while its precision says most are malformed (the README reads precision 0.43 as
    "about half malformed")."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("### What the defaults give"):text.index("## Python")]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(ganzoo run [^`]+)` \|.*$", table, re.M)}
    assert re.search(r"precision 0\.\d+.*FD-digits \d", rows["ganzoo run dcgan"])
    for command, row in rows.items():
        quoted = re.search(r"precision (0\.\d+)", row)
        if quoted and float(quoted.group(1)) < 0.5:
            assert "clearly readable" not in row and "malformed" in row, f"{command}: {row}"
