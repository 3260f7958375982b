"""The chart CNN (Jiang, Kelly and Xiu's building block) and the occlusion map that explains it.

A block is a 5x3 convolution (5 rows of price, 3 columns = one day; the first block strides 3
rows, as JKX's first layer), batch normalisation, leaky ReLU and a 2x1 max-pool that halves the
height only, so no two days are merged before the dense layer. The first block has ``filters`` filters and each next one twice as many; dropout, then a
dense layer with two logits (down, up). TensorFlow is imported inside the functions.
"""

from __future__ import annotations

import numpy as np


def build(shape: tuple[int, int], blocks: int, filters: int, dropout: float):
    import keras
    from keras import layers

    inputs = keras.Input((*shape, 1), dtype="float32")
    x = inputs
    for b in range(blocks):
        # the first block strides 3 rows at a time, as Jiang, Kelly and Xiu's first layer does: a
        # tick is one pixel in a 64-row image, and the next layers see a third of the rows (the
        # default run trains and scores several times faster on a CPU)
        x = layers.Conv2D(filters * 2**b, (5, 3), strides=(3, 1) if b == 0 else (1, 1), padding="same",
                          use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=0.01)(x)
        x = layers.MaxPooling2D((2, 1))(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    return keras.Model(inputs, layers.Dense(2)(x), name="chart_cnn")


def as_input(images: np.ndarray) -> np.ndarray:
    """Network input: OHLC pixels 0/255 to 0/1, GAF as it is; a channel axis."""
    x = images.astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    return x[..., None]


def softmax_up(logits: np.ndarray) -> np.ndarray:
    """P(up) from the two logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e[:, 1] / e.sum(axis=1)).astype(np.float32)


OCCLUDED_CHUNK = 32  # images blanked at a time: 32 x 60 days of 96x180 float32 pixels is 130 MB


def occlusion_by_day(predict, images: np.ndarray, window: int) -> np.ndarray:
    """How much P(up) moves when one day is blanked: for each image and day, the prediction with
    that day's pixel columns set to the background, minus the prediction on the whole image
    (float32 (n, window)). Occlusion, not Grad-CAM: it needs no gradients, reads in days, and is
    honest about what it measures (a change of output, not a cause). Every test image gets one,
    so the page can explain any image a student picks without the model."""
    out = np.empty((len(images), window), np.float32)
    background = 0 if images.dtype == np.uint8 else images.min()
    width = images.shape[2] // window
    for start in range(0, len(images), OCCLUDED_CHUNK):
        chunk = images[start:start + OCCLUDED_CHUNK]
        blanked = np.repeat(chunk[:, None], window, axis=1)  # (n, window, H, W)
        for day in range(window):
            blanked[:, day, :, day * width:(day + 1) * width] = background
        moved = predict(as_input(blanked.reshape(len(chunk) * window, *images.shape[1:]))).reshape(len(chunk), window)
        out[start:start + len(chunk)] = moved - predict(as_input(chunk))[:, None]
    return out
