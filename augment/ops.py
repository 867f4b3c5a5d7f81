"""Small pure image operations shared by the transforms (uint8 RGB in, uint8 RGB out).

Smooth fields (shading, illumination, stains' tint, fades) are computed on a coarse grid and
upsampled with ``cv2.resize``: they vary over tens of pixels, so the result is indistinguishable
while the float work shrinks 16- to 64-fold. Blends go through OpenCV's saturating arithmetic to
avoid full-resolution float copies of the image.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.special import ndtri

# Inverse normal CDF at the centres of 256 equal-probability bins: looking random bytes up in it
# gives N(0, 1) samples (quantised to 256 levels, tails cut at +-2.9) ~10x faster than
# Generator.standard_normal, which dominated the cost of the noise transforms.
_NORMAL_LUT = ndtri((np.arange(256) + 0.5) / 256).astype(np.float32)


def upsample(field: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a coarse float32 field (h, w) or (h, w, c) to (height, width)."""
    field = np.ascontiguousarray(field, dtype=np.float32)
    if field.shape[:2] == (height, width):
        return field
    return cv2.resize(field, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)


def coarse_grid(width: int, height: int, cell: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(X, Y) pixel-centre coordinates of a coarse grid with ``cell``-pixel cells, plus its size."""
    nx, ny = max(2, -(-int(width) // cell)), max(2, -(-int(height) // cell))
    xs = (np.arange(nx, dtype=np.float32) + 0.5) * (width / nx)
    ys = (np.arange(ny, dtype=np.float32) + 0.5) * (height / ny)
    x, y = np.meshgrid(xs, ys)
    return x, y, nx, ny


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Value noise: N(0, 1)-ish float32 (height, width) varying over about ``cell`` pixels."""
    gh, gw = max(2, int(np.ceil(height / cell)) + 2), max(2, int(np.ceil(width / cell)) + 2)
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    out = cv2.resize(g, (int(width), int(height)), interpolation=cv2.INTER_CUBIC)
    return out / max(float(out.std()), 1e-6)


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """float32 noise of ``shape`` (2-D, or 3-D with up to 4 channels), ~N(0, sigma^2)."""
    u = np.frombuffer(rng.bytes(int(np.prod(shape))), dtype=np.uint8).reshape(shape)
    return cv2.LUT(u, _NORMAL_LUT * np.float32(sigma))


def multiply(image: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
    """image * gain with saturation; ``gain`` scalar, (h, w), (h, w, 3) or coarse (upsampled)."""
    h, w = image.shape[:2]
    if np.isscalar(gain):
        return cv2.multiply(image, np.full(3, float(gain)).tolist() + [0.0])
    gain = upsample(np.asarray(gain, dtype=np.float32), w, h)
    if gain.ndim == 2:
        # Per channel: cheaper than building a 3-channel float gain (same result).
        return cv2.merge([cv2.multiply(c, gain, dtype=cv2.CV_8U) for c in cv2.split(image)])
    return cv2.multiply(image, gain, dtype=cv2.CV_8U)


def add(image: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """image + delta with saturation; ``delta`` (h, w) is added to every channel."""
    h, w = image.shape[:2]
    delta = upsample(np.asarray(delta, dtype=np.float32), w, h)
    if delta.ndim == 2:
        return cv2.merge([cv2.add(c, delta, dtype=cv2.CV_8U) for c in cv2.split(image)])
    return cv2.add(image, delta, dtype=cv2.CV_8U)


def ink(image: np.ndarray, alpha: np.ndarray, color, x0: int = 0, y0: int = 0) -> np.ndarray:
    """Multiply-blend ink of ``color`` (RGB 0-255) with coverage ``alpha`` (float 0-1 or uint8
    0-255, shape (h, w)) at (x0, y0): ink darkens paper and grid alike, as on real paper."""
    out = image.copy()
    alpha = np.asarray(alpha)
    if alpha.dtype == np.uint8:
        alpha = alpha.astype(np.float32) / 255.0
    h, w = alpha.shape
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(image.shape[1], x0 + w), min(image.shape[0], y0 + h)
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    a = alpha[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0, None]
    roi = out[iy0:iy1, ix0:ix1].astype(np.float32)
    col = np.asarray(color, dtype=np.float32) / 255.0
    roi *= 1.0 - a * (1.0 - col)
    out[iy0:iy1, ix0:ix1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)
    return out


def paint(image: np.ndarray, alpha: np.ndarray, color, x0: int = 0, y0: int = 0) -> np.ndarray:
    """Normal (over) blend of an opaque ``color`` with coverage ``alpha`` at (x0, y0): what
    covers the paper (background through a hole, a folded flap) rather than stains it."""
    out = image.copy()
    alpha = np.asarray(alpha)
    if alpha.dtype == np.uint8:
        alpha = alpha.astype(np.float32) / 255.0
    h, w = alpha.shape[:2]
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(image.shape[1], x0 + w), min(image.shape[0], y0 + h)
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    a = alpha[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    a = a[..., None] if a.ndim == 2 else a
    col = np.asarray(color, dtype=np.float32)
    if col.ndim == 3:
        col = col[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    roi = out[iy0:iy1, ix0:ix1].astype(np.float32)
    roi += a * (col - roi)
    out[iy0:iy1, ix0:ix1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)
    return out


def screen(image: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Brighten towards white: out = img + (255 - img) * amount; ``amount`` (h, w) in [0, 1]
    (coarse fields are upsampled). Used for glare."""
    h, w = image.shape[:2]
    a = upsample(np.asarray(amount, dtype=np.float32), w, h)
    inv = cv2.subtract(np.full_like(image, 255), image)
    a3 = cv2.merge([a, a, a])
    return cv2.add(image, cv2.multiply(inv, a3, dtype=cv2.CV_8U))


def disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """Defocus point-spread function: a disk of ``radius`` px softened by a Gaussian.

    The same construction as albumentations' ``defocus`` but with compact support (its kernel
    is at least 17x17, which costs ~150 ms per page; ours is 2r+3 wide)."""
    r = max(float(radius), 0.5)
    half = int(np.ceil(r)) + 1
    ax = np.arange(-half, half + 1, dtype=np.float32)
    x, y = np.meshgrid(ax, ax)
    disk = (x * x + y * y <= r * r).astype(np.float32)
    disk = cv2.GaussianBlur(disk, (3, 3), sigmaX=max(alias_blur, 1e-3))
    return disk / disk.sum()
