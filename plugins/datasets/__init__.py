"""Built-in datasets: the embedded digits, any image folder, and torchvision's sets."""

from ganzoo import DatasetSpec, hookimpl
from ganzoo_plugins.datasets.photos import HELD_OUT

LOADERS = "ganzoo_plugins.datasets.loaders"
MNIST_FAMILY = "ganzoo_plugins.datasets.mnist_family"


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
    # Image-to-image pairs (pix2pix): inputs are the A side, images the B side.
    register(
        DatasetSpec(
            name="paired",
            builder="ganzoo_plugins.datasets.paired:paired",
            summary="Image pairs A -> B under PATH (or PATH/train): side-by-side A|B images, or folders A/ and B/ with matching names",
            argument="PATH",
        )
    )
    register(
        DatasetSpec(
            name="edges2photos",
            builder="ganzoo_plugins.datasets.paired:edges2photos",
            summary="Edge map -> photo pairs cropped from the bundled photographs, split by photograph (offline demo)",
            image_size=64,
            held_out=HELD_OUT,
        )
    )
    register(
        DatasetSpec(
            name="noisy2photos",
            builder="ganzoo_plugins.datasets.paired:noisy2photos",
            summary="Noisy photo (Gaussian, sigma 25 of 255) -> photo pairs cropped from the bundled photographs, split by photograph (offline demo)",
            image_size=64,
            held_out=HELD_OUT,
            # what a user would call instead of a denoiser: ganzoo eval measures it beside the model
            classical="nl-means",
            classical_settings={"sigma": 25.0},  # paired.NOISE_SIGMA (that module imports torch)
        )
    )
    register(
        DatasetSpec(
            name="photos",
            builder="ganzoo_plugins.datasets.photos:photos_dataset",
            summary="Crops of the real photographs scikit-image and scikit-learn ship, training photographs only (offline)",
            image_size=64,
            held_out=HELD_OUT,
        )
    )
    # Unpaired translation (CycleGAN): inputs are domain A, images domain B, drawn independently.
    register(
        DatasetSpec(
            name="unpaired",
            builder="ganzoo_plugins.datasets.unpaired:unpaired",
            summary="Unpaired images: domain A under PATH/trainA, domain B under PATH/trainB (CycleGAN's layout)",
            argument="PATH",
        )
    )
    register(
        DatasetSpec(
            name="edges2photos-unpaired",
            builder="ganzoo_plugins.datasets.unpaired:edges2photos_unpaired",
            summary="Edge maps (A) and photos (B) of different bundled photographs, held-out photographs as true pairs (offline demo)",
            image_size=64,
            held_out=HELD_OUT,
        )
    )
    register(
        DatasetSpec(
            name="sneakers2boots",
            builder="ganzoo_plugins.datasets.unpaired:sneakers2boots",
            summary="Fashion-MNIST's sneakers (A) and ankle boots (B), unpaired; the official test split's are held out",
            image_size=32,
        )
    )
    # Super-resolution (SRGAN): images are high-resolution crops, inputs their 4x bicubic downsampling.
    register(
        DatasetSpec(
            name="superres",
            builder="ganzoo_plugins.datasets.superres:superres",
            summary="Seeded random high-res crops of every image under PATH (recursively), low-res by 4x antialiased bicubic",
            argument="PATH",
        )
    )
    register(
        DatasetSpec(
            name="photos-sr",
            builder="ganzoo_plugins.datasets.superres:photos_sr",
            summary="High-res crops of the bundled photographs and their bicubic low-res versions, split by photograph (offline demo)",
            image_size=64,
            held_out=HELD_OUT,
        )
    )
    # The IDX datasets: the official test split is the held-out split (never trained on).
    register(
        DatasetSpec(
            name="fashion-mnist",
            builder=f"{MNIST_FAMILY}:fashion_mnist",
            summary="Fashion-MNIST: 60,000 28x28 clothing images in 10 classes, 10,000 held out (apt-get install "
                    "dataset-fashion-mnist, --data-root or --download)",
            labelled=True,
            image_size=32,
        )
    )
    register(
        DatasetSpec(
            name="edges2fashion",
            builder="ganzoo_plugins.datasets.paired:edges2fashion",
            summary="Edge map -> Fashion-MNIST item pairs (Sobel edges, dark on white); the official test split is held out",
            image_size=32,
        )
    )
    register(
        DatasetSpec(
            name="mnist",
            builder=f"{MNIST_FAMILY}:mnist",
            summary="MNIST: 60,000 28x28 handwritten digits, 10,000 held out (--data-root or --download)",
            labelled=True,
            image_size=32,
        )
    )
    register(
        DatasetSpec(
            name="cifar10",
            builder=f"{LOADERS}:cifar10",
            summary="CIFAR-10 training split via torchvision (--data-root, --download)",
            labelled=True,
            image_size=32,
        )
    )
