"""PNG/JPEG encoding of RGB pages."""

from __future__ import annotations

import numpy as np
import pytest

from ecginstruct.types import ConfigError
from renderers import RenderSpec, render_page
from renderers.encode import decode, encode_jpeg, encode_png, write_image
from tests.test_render_page import toy_record


@pytest.fixture(scope="module")
def image():
    return render_page(toy_record(), RenderSpec(dpi=100)).image


def test_png_is_lossless_and_keeps_rgb_order(image):
    data = encode_png(image)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(decode(data), image)
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    assert (decode(encode_png(red))[..., 0] == 255).all()


def test_jpeg_is_close_and_smaller_with_lower_quality(image):
    hi, lo = encode_jpeg(image, quality=95), encode_jpeg(image, quality=60)
    assert hi[:2] == b"\xff\xd8" and len(lo) < len(hi)
    # JPEG blurs the thin grid (a reason to prefer PNG for printed pages) but keeps the traces.
    ink = image.max(axis=2) < 100
    assert (decode(hi).max(axis=2)[ink] < 128).mean() > 0.97


def test_write_image_picks_format_from_extension(tmp_path, image):
    assert write_image(image, tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert write_image(image, tmp_path / "a.JPG").read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(ConfigError, match="tiff"):
        write_image(image, tmp_path / "a.tiff")
    with pytest.raises(ConfigError, match="uint8"):
        encode_png(image.astype(np.float32))
