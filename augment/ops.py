"""Small pure image operations shared by the transforms (uint8 RGB in, uint8 RGB out).

Smooth fields (shading, illumination, stains' tint, fades) are computed on a coarse grid and
upsampled with ``cv2.resize``: they vary over tens of pixels, so the result is indistinguishable
while the float work shrinks 16- to 64-fold. Blends go through OpenCV's saturating arithmetic to
avoid full-resolution float copies of the image.

Memory: a build worker must stay under 400 MB, and a 200-dpi page is 11 MB as uint8 but 45 MB as
float32 RGB. So nothing here makes a full-size float copy: fields are upsampled and applied in
horizontal bands of :data:`BAND_ROWS` rows (:func:`bands`, :func:`upsample_rows`), writing into
one uint8 output. Each transform then peaks at about input + output + one band of floats.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.special import ndtri

# Inverse normal CDF at the centres of 256 equal-probability bins: looking random bytes up in it
# gives N(0, 1) samples (quantised to 256 levels, tails cut at +-2.9) ~10x faster than
# Generator.standard_normal, which dominated the cost of the noise transforms.
_NORMAL_LUT = ndtri((np.arange(256) + 0.5) / 256).astype(np.float32)

# Rows per band: a band of a 200-dpi page in float32 RGB is ~7 MB (vs 45 MB for the page), and
# still long enough that the per-band Python overhead is negligible.
BAND_ROWS = 256


def bands(height: int, rows: int = BAND_ROWS) -> list[tuple[int, int]]:
    """(r0, r1) row ranges of at most ``rows`` rows covering ``height``."""
    return [(r0, min(int(height), r0 + rows)) for r0 in range(0, int(height), rows)]


def upsample_rows(field: np.ndarray, width: int, height: int, r0: int, r1: int) -> np.ndarray:
    """Rows r0:r1 of ``upsample(field, width, height)`` without building the whole field.

    Bilinear, with cv2.resize's pixel-centre convention, so adjacent bands join without seams:
    the vertical interpolation is done here on the coarse rows the band needs, the horizontal
    one by cv2.resize (which is exact along an axis it does not scale)."""
    field = np.asarray(field, dtype=np.float32)
    hc, wc = field.shape[:2]
    if hc == height:
        rows = field[r0:r1]
    else:
        y = (np.arange(r0, r1, dtype=np.float64) + 0.5) * (hc / height) - 0.5
        y = np.clip(y, 0.0, hc - 1.0)
        i0 = np.minimum(y.astype(np.intp), hc - 1)
        i1 = np.minimum(i0 + 1, hc - 1)
        f = (y - i0).astype(np.float32).reshape((-1,) + (1,) * (field.ndim - 1))
        rows = field[i0] * (1.0 - f)
        rows += field[i1] * f
    if wc == width:
        return np.ascontiguousarray(rows)
    return cv2.resize(rows, (int(width), int(r1 - r0)), interpolation=cv2.INTER_LINEAR)


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


def random_bytes(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """uint8 random bytes of ``shape``; ``cv2.LUT(bytes, normal_lut(sigma))`` makes them noise."""
    return np.frombuffer(rng.bytes(int(np.prod(shape))), dtype=np.uint8).reshape(shape)


def normal_lut(sigma: float) -> np.ndarray:
    """Lookup table from a random byte to ~N(0, sigma^2) (float32)."""
    return _NORMAL_LUT * np.float32(sigma)


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """float32 noise of ``shape`` (2-D, or 3-D with up to 4 channels), ~N(0, sigma^2)."""
    return cv2.LUT(random_bytes(rng, shape), normal_lut(sigma))


def _as3(field: np.ndarray) -> np.ndarray:
    return cv2.merge([field, field, field]) if field.ndim == 2 else field


def multiply(image: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
    """image * gain with saturation; ``gain`` scalar, (h, w), (h, w, 3) or coarse (upsampled
    band by band)."""
    h, w = image.shape[:2]
    if np.isscalar(gain):
        return cv2.multiply(image, np.full(3, float(gain)).tolist() + [0.0])
    gain = np.asarray(gain, dtype=np.float32)
    out = np.empty_like(image)
    for r0, r1 in bands(h):
        g = _as3(upsample_rows(gain, w, h, r0, r1))
        cv2.multiply(image[r0:r1], g, dst=out[r0:r1], dtype=cv2.CV_8U)
    return out


def add_into(image: np.ndarray, delta: np.ndarray, dst: np.ndarray) -> None:
    """dst = image + delta with saturation, for one band; ``delta`` (h, w) or (h, w, 3)."""
    cv2.add(image, _as3(delta), dst=dst, dtype=cv2.CV_8U)


def add(image: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """image + delta with saturation; ``delta`` (h, w) is added to every channel."""
    h, w = image.shape[:2]
    delta = np.asarray(delta, dtype=np.float32)
    out = np.empty_like(image)
    for r0, r1 in bands(h):
        add_into(image[r0:r1], upsample_rows(delta, w, h, r0, r1), out[r0:r1])
    return out


def screen_into(image: np.ndarray, amount: np.ndarray, dst: np.ndarray) -> None:
    """dst = image + (255 - image) * amount (saturating), for one band; ``amount`` (h, w)."""
    lift = cv2.multiply(cv2.bitwise_not(image), _as3(amount), dtype=cv2.CV_8U)
    cv2.add(image, lift, dst=dst)


def screen(image: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Brighten towards white: out = img + (255 - img) * amount; ``amount`` (h, w) in [0, 1]
    (coarse fields are upsampled). Used for glare."""
    h, w = image.shape[:2]
    amount = np.asarray(amount, dtype=np.float32)
    out = np.empty_like(image)
    for r0, r1 in bands(h):
        screen_into(image[r0:r1], upsample_rows(amount, w, h, r0, r1), out[r0:r1])
    return out


def _clip_box(image, alpha, x0, y0):
    h, w = alpha.shape[:2]
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(image.shape[1], x0 + w), min(image.shape[0], y0 + h)
    return ix0, iy0, ix1, iy1


def _alpha_band(alpha: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    a = alpha[rows, cols]
    if a.dtype == np.uint8:
        return a.astype(np.float32) * np.float32(1.0 / 255.0)
    return a.astype(np.float32, copy=False)


def ink(
    image: np.ndarray, alpha: np.ndarray, color, x0: int = 0, y0: int = 0, *, inplace=False
) -> np.ndarray:
    """Multiply-blend ink of ``color`` (RGB 0-255) with coverage ``alpha`` (float 0-1 or uint8
    0-255, shape (h, w)) at (x0, y0): ink darkens paper and grid alike, as on real paper.
    ``inplace`` writes into ``image`` (for a caller that already owns a copy)."""
    out = image if inplace else image.copy()
    alpha = np.asarray(alpha)
    ix0, iy0, ix1, iy1 = _clip_box(image, alpha, x0, y0)
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    fade = (1.0 - np.asarray(color, dtype=np.float32) / 255.0).astype(np.float32)
    cols = slice(ix0 - x0, ix1 - x0)
    for r0, r1 in bands(iy1 - iy0):
        a = _alpha_band(alpha, slice(iy0 - y0 + r0, iy0 - y0 + r1), cols)[..., None]
        dst = out[iy0 + r0 : iy0 + r1, ix0:ix1]
        roi = dst.astype(np.float32)
        f = a * fade
        np.subtract(np.float32(1.0), f, out=f)
        roi *= f
        roi += np.float32(0.5)
        np.clip(roi, 0, 255, out=roi)
        dst[...] = roi
    return out


def paint(
    image: np.ndarray, alpha: np.ndarray, color, x0: int = 0, y0: int = 0, *, inplace=False
) -> np.ndarray:
    """Normal (over) blend of an opaque ``color`` with coverage ``alpha`` at (x0, y0): what
    covers the paper (background through a hole, a folded flap) rather than stains it."""
    out = image if inplace else image.copy()
    alpha = np.asarray(alpha)
    ix0, iy0, ix1, iy1 = _clip_box(image, alpha, x0, y0)
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    col = np.asarray(color, dtype=np.float32)
    cols = slice(ix0 - x0, ix1 - x0)
    for r0, r1 in bands(iy1 - iy0):
        rows = slice(iy0 - y0 + r0, iy0 - y0 + r1)
        a = _alpha_band(alpha, rows, cols)
        a = a[..., None] if a.ndim == 2 else a
        c = col[rows, cols] if col.ndim == 3 else col
        dst = out[iy0 + r0 : iy0 + r1, ix0:ix1]
        roi = dst.astype(np.float32)
        roi += a * (c - roi)
        roi += np.float32(0.5)
        np.clip(roi, 0, 255, out=roi)
        dst[...] = roi
    return out


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
