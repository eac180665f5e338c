"""Built-in datasets: the embedded digits, any image folder, and torchvision's sets."""

from ganzoo import DatasetSpec, hookimpl

LOADERS = "ganzoo_plugins.datasets.loaders"


@hookimpl
def register_datasets(register):
    register(
        DatasetSpec(
            name="digits",
            builder=f"{LOADERS}:digits",
            summary="1,797 real 8x8 handwritten digits shipped by scikit-learn (offline, labelled 0-9)",
            labelled=True,
            image_size=32,
        )
    )
    register(
        DatasetSpec(
            name="folder",
            builder=f"{LOADERS}:folder",
            summary="Every image under PATH, recursively; class subfolders become labels",
            argument="PATH",
        )
    )
    for name, title in (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"), ("cifar10", "CIFAR-10")):
        register(
            DatasetSpec(
                name=name,
                builder=f"{LOADERS}:{name.replace('-', '_')}",
                summary=f"{title} training split via torchvision (--data-root, --download)",
                labelled=True,
                image_size=32,
            )
        )
