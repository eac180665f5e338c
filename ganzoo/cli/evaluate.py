"""``ganzoo eval``: a model's quality beside the real-vs-real floor or the identity/bicubic baseline,
and beside the dataset's classical method (nl-means for a denoiser) when it names one."""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import bold, console, positive_int, print_json, table
from ganzoo.eval.metric_names import BASELINE_PREFIX, CLASSICAL_PREFIX, MARGIN_PREFIX, STD_SUFFIX, label


def add_parser(sub: Any) -> None:
    p = sub.add_parser("eval", help=help_of("eval"),
                       description="Evaluate a run folder, weights file or pretrained name (ganzoo list --pretrained).")
    p.add_argument("target", help="a run folder, a generator .safetensors file, or pretrained weights by name")
    p.add_argument("--dataset", help="real data to compare with (default: the dataset the weights were trained on)")
    p.add_argument("-n", type=positive_int, help="generated samples (default: as many as the real held-out split)")
    p.add_argument("--features", default="auto", choices=("auto", "digits", "fashion", "inception"),
                   help="feature space: digits / fashion (ganzoo's digits or Fashion-MNIST network, offline), inception "
                        "(FID; needs the weights file), auto (digits for digits/mnist, fashion for fashion-mnist, "
                        "else inception)")
    p.add_argument("--inception-weights", metavar="PATH", help="pt_inception-2015-12-05-6726825d.pth (or .safetensors)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-root", metavar="DIR", help="where dataset files live (MNIST/Fashion-MNIST IDX files, torchvision's CIFAR-10)")
    p.add_argument("--download", action="store_true", help="download the dataset if absent (MNIST, Fashion-MNIST, CIFAR-10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    # ganzoo.eval imports torch: here, not at the top, so that building the parser stays torch-free.
    from ganzoo.eval.evaluation import evaluate

    console(stderr=True).print(bold("evaluating ", args.target, " ..."))
    report = evaluate(args.target, dataset=args.dataset, samples=args.n, features=args.features,
                      inception_weights=args.inception_weights, device=args.device, seed=args.seed,
                      data_root=args.data_root, download=args.download)
    if args.json:
        print_json(report.to_dict())
        return 0
    method = report.classical.get("method", "")
    rows = []
    for key, value in report.metrics.items():
        if key.endswith(STD_SUFFIX) or key.startswith(CLASSICAL_PREFIX):  # the classical figures: their own column
            continue
        std = report.metrics.get(key + STD_SUFFIX)
        floor, floor_std = report.floor.get(key), report.floor.get(key + STD_SUFFIX)
        row = (label(key), _number(value, std), "-" if floor is None else _number(floor, floor_std))
        if method:
            classical = report.metrics.get(CLASSICAL_PREFIX + key)
            row += ("-" if classical is None else _number(classical),)
        rows.append(row)
    domains = report.classes.get("domain_a"), report.classes.get("domain_b")
    if all(domains):
        what = (f"{report.samples} held-out test images each of {domains[0]} (A) and {domains[1]} (B) of {report.dataset}, "
                f"each translated to the other class, against {report.reference} real training images of B")
    elif report.features:
        what = f"{report.samples} samples vs {report.reference} real training images of {report.dataset}"
    elif report.per_image:
        what = f"{report.samples} whole held-out photographs of {report.dataset} (means over photographs)"
    else:
        what = f"{report.samples} held-out pairs of {report.dataset}"
    out = console()
    out.print(bold("", report.model, f" (step {report.step}, {report.task} task): {what}"))
    columns = ["metric", "model", report.floor_label] + ([f"classical: {report.classical['label']}"] if method else [])
    out.print(table(None, columns, rows))
    if report.per_image:
        keys = [k for k in next(iter(report.per_image.values())) if not k.startswith((BASELINE_PREFIX, CLASSICAL_PREFIX))]

        def cell(figures: dict[str, float], key: str) -> str:
            others = [figures[prefix + key] for prefix in (BASELINE_PREFIX, CLASSICAL_PREFIX) if prefix + key in figures]
            return f"{figures[key]:.4g} ({'; '.join(f'{v:.4g}' for v in others)})"

        photo_rows = [(name, *(cell(figures, k) for k in keys)) for name, figures in report.per_image.items()]
        twins = f"baseline; {method}" if method else "baseline"
        out.print(table(None, ["photograph", *(f"{label(k)} ({twins})" for k in keys)], photo_rows))
        worst = report.metrics.get(MARGIN_PREFIX + CLASSICAL_PREFIX + "psnr")
        if method and worst is not None:
            above = sum(f["psnr"] > f[CLASSICAL_PREFIX + "psnr"] for f in report.per_image.values())
            out.print(f"PSNR above {method} on {above} of {len(report.per_image)} photographs; "
                      f"worst photograph {worst:+.2f} dB against {method}")
    untranslated = report.classes.get("untranslated_read_as_target")
    if untranslated:
        out.print("doing nothing (the untranslated test images read as the other class): "
                  + "  ".join(f"{label(k)} {v:.1%}" for k, v in untranslated.items()))
    shares = report.classes.get("shares")
    if shares:
        out.print("class shares: " + "  ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    per_label = report.classes.get("accuracy_per_label")
    if per_label:
        out.print("accuracy per label: " + "  ".join(f"{k} {v:.0%}" for k, v in per_label.items()))
    codes = report.classes.get("codes")
    if codes:
        pairs = "  ".join(f"{k}->{c} {codes['per_code'][k]:.0%}" for k, c in codes["assignment"].items())
        out.print(f"categorical code -> class (best one-to-one): {pairs}; accuracy {report.metrics['code_class_accuracy']:.3f}, "
                  f"chance {codes['chance']:.2f}")
    if report.features in ("digits", "fashion"):
        out.print(f"FD-{report.features}/KID-{report.features} use ganzoo's {report.features} feature network: compare "
                  "them with each other, never with Inception FID.")
    return 0


def _number(value: float, std: float | None = None) -> str:
    text = f"{value:.4g}"
    return f"{text} ± {std:.2g}" if std is not None else text
