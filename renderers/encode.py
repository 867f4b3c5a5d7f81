"""Page image -> file bytes. Pages are RGB; OpenCV wants BGR.

Settings were chosen by measurement (docs/rendering.md, scripts/bench_render.py). A printed page
is a few colours repeated down the rows (grid columns), so the PNG "Up" filter alone predicts it
well: on a letter page at 200 dpi, zlib level 3 + Up is ~2.3x faster than libpng's adaptive
filter choice for 7% more bytes (~310 KiB); level 6 saves 13% more for 1.7x the time; the RLE
and Huffman-only strategies are no faster and 50-700% larger. JPEG is a poor fit for a printed page (a sharp grid line crosses almost
every 8x8 block: ~1.8 MiB at quality 90, 6x the PNG) and is meant for photographed styles.

JPEGs are written with optimized Huffman tables: the same DCT coefficients, so the decoded pixels
are identical, 6-13% fewer bytes on augmented pages (scripts/bench_image_bytes.py,
docs/build-performance.md) for a few ms more per page.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ecginstruct.types import ConfigError

PNG_COMPRESSION = 3
PNG_STRATEGY = cv2.IMWRITE_PNG_STRATEGY_DEFAULT
PNG_FILTER = cv2.IMWRITE_PNG_FILTER_UP
JPEG_QUALITY = 90
JPEG_OPTIMIZE = True


def _bgr(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ConfigError(f"expected a uint8 (H, W, 3) RGB image, got {image.dtype} {image.shape}")
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)


def encode_png(
    image: np.ndarray,
    compression: int = PNG_COMPRESSION,
    strategy: int = PNG_STRATEGY,
    png_filter: int | None = PNG_FILTER,
) -> bytes:
    """Lossless PNG bytes of an RGB page. ``png_filter=None`` lets libpng choose per row."""
    params = [
        cv2.IMWRITE_PNG_COMPRESSION,
        int(compression),
        cv2.IMWRITE_PNG_STRATEGY,
        int(strategy),
    ]
    if png_filter is not None:
        params += [cv2.IMWRITE_PNG_FILTER, int(png_filter)]
    ok, buf = cv2.imencode(".png", _bgr(image), params)
    if not ok:
        raise ConfigError("OpenCV could not encode the image as PNG")
    return buf.tobytes()


def encode_jpeg(
    image: np.ndarray, quality: int = JPEG_QUALITY, optimize: bool = JPEG_OPTIMIZE
) -> bytes:
    """JPEG bytes of an RGB page (4:2:0 chroma, OpenCV's default). ``optimize`` only changes
    the entropy coding: same pixels once decoded, fewer bytes."""
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_OPTIMIZE, int(optimize)]
    ok, buf = cv2.imencode(".jpg", _bgr(image), params)
    if not ok:
        raise ConfigError("OpenCV could not encode the image as JPEG")
    return buf.tobytes()


def encode(image: np.ndarray, fmt: str) -> bytes:
    """``fmt`` is "png", "jpg" or "jpeg"."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "png":
        return encode_png(image)
    if fmt in ("jpg", "jpeg"):
        return encode_jpeg(image)
    raise ConfigError(f"unknown image format {fmt!r}; allowed: png, jpg")


def write_image(image: np.ndarray, path: str | Path) -> Path:
    """Write ``image`` to ``path``, the format from its extension (.png, .jpg, .jpeg)."""
    path = Path(path)
    path.write_bytes(encode(image, path.suffix))
    return path


def decode(data: bytes) -> np.ndarray:
    """Bytes -> RGB uint8 image (for tests and round trips)."""
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ConfigError("could not decode image bytes")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
