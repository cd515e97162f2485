"""The autoencoders on one shared backbone, and their model files.

Model `name` lives in its own module, stylepath/models/<name>.py, whose `MODEL` is its class
(a subclass of `backbone.Autoencoder`); the names are the config schema's `models` enum.

model = build_model("vae", settings, image_size=64)   # settings: stylepath.config.model_settings
z, logvar = model.encode(x)        # x: float32 B x 3 x H x W in [0, 1]
x_hat = model.decode(z)            # B x 3 x H x W in [0, 1]
save_model(model, settings, "model.pt"); model = load_model("model.pt", device)
"""

import importlib
import pickle
from pathlib import Path

import torch

from stylepath.config import model_names
from stylepath.io import StylepathError, atomic_path
from stylepath.models.backbone import Autoencoder


def model_class(name: str) -> type[Autoencoder]:
    """The class of model `name` (the `MODEL` of stylepath/models/<name>.py)."""
    if name not in model_names():
        raise StylepathError(f"unknown model {name!r}; choose one of {', '.join(model_names())}")
    return importlib.import_module(f"stylepath.models.{name}").MODEL


def build_model(name: str, settings: dict, image_size: int) -> Autoencoder:
    """A freshly initialised model `name` (from torch's global generator); `settings` are its
    training settings (training.shared merged with training.<name>, schema defaults filled in),
    kept as `model.settings`."""
    try:
        model = model_class(name).from_settings(settings, int(image_size))
    except KeyError as error:
        raise StylepathError(
            f"settings for {name} lack {error}: pass training.shared merged with training.{name}, "
            "defaults filled in (stylepath.config.model_settings)"
        ) from error
    model.settings = dict(settings)
    return model


def save_model(model: Autoencoder, settings: dict, path) -> None:
    """Write the model file atomically: a dict loadable with weights_only=True holding
    `model` (name), `settings`, `image_size` and `state_dict` (on the CPU, contiguous whatever
    memory format it was trained in)."""
    state_dict = {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}
    payload = {"model": model.name, "settings": settings, "image_size": model.image_size, "state_dict": state_dict}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path, device="cpu") -> Autoencoder:
    """The model saved at `path`, on `device`, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise StylepathError(f"model file {path} does not exist; run `stylepath train` (or snakemake) first")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = build_model(payload["model"], payload["settings"], payload["image_size"])
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError, TypeError, EOFError, pickle.UnpicklingError) as error:
        raise StylepathError(f"{path} is not a stylepath model file ({error}); re-run `stylepath train`") from error
    return model.to(device).eval()


def load_model_and_images(model_path, images_path, metadata_path, device):
    """(model, images N x H x W x 3 uint8, metadata) for a trained model and the data set it
    is applied to; a StylepathError when the image size is not the one it was trained on."""
    from stylepath.data.prepared import read_prepared

    model = load_model(model_path, device)
    images, metadata = read_prepared(images_path, metadata_path)
    if images.shape[1] != model.image_size:
        raise StylepathError(
            f"{images_path} holds {images.shape[1]} px images but {model_path} was trained on "
            f"{model.image_size} px; re-train the model on these images"
        )
    return model, images, metadata
