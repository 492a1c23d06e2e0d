"""Data augmentation of the 8x8 digits (chapter 10): small shifts and pixel noise."""

from __future__ import annotations

import numpy as np

from .networks import MultiLayerNetExtend
from .trainer import Trainer

__all__ = ["augment_digits", "train_final_model"]


def augment_digits(x: np.ndarray, rng: np.random.Generator, max_shift: int = 1, noise_std: float = 0.0) -> np.ndarray:
    """Shift each image by its own random whole number of pixels and add Gaussian noise.

    x: (N, 64) images (8 x 8, flattened row by row); not modified. rng: the generator of every draw.
    Each image gets its own shift (dy, dx), each drawn uniformly from -max_shift..max_shift (both
    ends included); pixels shifted in from outside are 0 (no wrap-around). Then noise of standard
    deviation noise_std (N(0, noise_std^2), independent per pixel) is added; noise_std = 0 adds none.
    Returns a new float64 array of shape (N, 64).
    """
    images = np.asarray(x, dtype=np.float64).reshape(-1, 8, 8)
    shifted = np.zeros_like(images)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    for image, out, (dy, dx) in zip(images, shifted, shifts):
        source = image[max(0, -dy) : 8 - max(0, dy), max(0, -dx) : 8 - max(0, dx)]  # the part that stays inside
        out[max(0, dy) : max(0, dy) + source.shape[0], max(0, dx) : max(0, dx) + source.shape[1]] = source
    shifted = shifted.reshape(len(images), 64)
    if noise_std > 0:
        shifted += noise_std * rng.standard_normal(shifted.shape)
    return shifted


def train_final_model(x_train: np.ndarray, t_train: np.ndarray, config: dict, seed: int = 0) -> MultiLayerNetExtend:
    """The capstone's final model: trained on x_train plus shifted, noisy copies of it.

    x_train: (N, 64) in [0, 1]; t_train: (N,) labels. config: 'hidden_size_list', 'use_batchnorm',
    'weight_decay_lambda', 'lr' (as in the random search). Four augmented copies (shifts of up to
    one pixel, noise 0.05) join the original images; Adam for 8 epochs, then 2 more at lr / 10.
    """
    augment_rng = np.random.default_rng(seed)
    copies = [augment_digits(x_train, augment_rng, max_shift=1, noise_std=0.05) for _ in range(4)]
    x_all = np.concatenate([x_train, *copies])
    t_all = np.concatenate([t_train] * 5)
    network = MultiLayerNetExtend(
        x_train.shape[1], config["hidden_size_list"], 10, weight_decay_lambda=config["weight_decay_lambda"],
        use_batchnorm=config["use_batchnorm"], rng=np.random.default_rng(seed),
    )  # fmt: skip
    for lr, epochs, trainer_seed in ((config["lr"], 8, seed), (config["lr"] / 10, 2, seed + 1)):
        trainer = Trainer(
            network, x_all, t_all, x_train, t_train, epochs=epochs, mini_batch_size=32, optimizer="adam",
            optimizer_param={"lr": lr}, evaluate_sample_num_per_epoch=500, seed=trainer_seed,
        )  # fmt: skip
        trainer.train()
    return network
