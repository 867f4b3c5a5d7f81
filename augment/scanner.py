"""Scanner effects: skew, bed margins, noise and banding, toner fade and dropout, blur, low dpi,
grayscale or binarised output, moire from re-scanned prints, JPEG.

The generic image operations (JPEG, resampling, grayscale) are albumentations' functional forms
called with parameters drawn here, so ``apply`` is a pure function of its params.
"""

from __future__ import annotations

import cv2
import numpy as np

from augment import geometry, ops
from augment.albu import A, fpixel
from augment.base import Transform, new_seed


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _ppm(page) -> float:
    w = page.width
    return page.px_per_mm * w / (page.page_size_px or (w, page.height))[0]


def rotation_about(cx: float, cy: float, deg: float, tx: float = 0.0, ty: float = 0.0):
    """2x3 forward matrix: rotate by ``deg`` (clockwise on screen for positive) about (cx, cy),
    then translate."""
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return [
        [c, -s, cx - c * cx + s * cy + tx],
        [s, c, cy - s * cx - c * cy + ty],
    ]


class Skew(Transform):
    """The sheet lies slightly rotated and shifted on the glass; the lid shows in the corners."""

    name = "skew"
    geometric = True

    def sample(self, rng, page):
        s = self.strength
        ppm = _ppm(page)
        lim = 0.3 + 2.2 * s
        return {
            "angle_deg": float(np.clip(rng.normal(0, lim / 2), -lim, lim)),
            "shift_px": [_u(rng, -1, 1) * (1 + 3 * s) * ppm, _u(rng, -1, 1) * (1 + 3 * s) * ppm],
            "fill": [int(_u(rng, 225, 252))] * 3,
        }

    def warp(self, page, params):
        w, h = page.width, page.height
        m = rotation_about(w / 2, h / 2, params["angle_deg"], *params["shift_px"])
        step = {"type": "affine", "matrix": m, "size": [w, h]}
        return geometry.warp_image(page.image, step, border_value=params["fill"]), step


class ScanMargins(Transform):
    """The scanned area is larger (or smaller) than the sheet: the bed shows around it, with a
    thin shadow along the paper edge."""

    name = "scan_margins"
    geometric = True

    def sample(self, rng, page):
        s = self.strength
        ppm = _ppm(page)
        margins = [_u(rng, -2.0, 2.0 + 12.0 * s) * ppm for _ in range(4)]  # left top right bottom
        dark = rng.random() < 0.6
        level = _u(rng, 15, 60) if dark else _u(rng, 180, 225)
        return {"margins": margins, "fill": [int(level)] * 3, "edge_shadow": _u(rng, 0.2, 0.6)}

    def warp(self, page, params):
        w, h = page.width, page.height
        left, top, right, bottom = params["margins"]
        size = [max(8, int(round(w + left + right))), max(8, int(round(h + top + bottom)))]
        step = {"type": "affine", "matrix": [[1, 0, left], [0, 1, top]], "size": size}
        out = geometry.warp_image(page.image, step, border_value=params["fill"])
        corners = geometry.forward_points(step, [(0, 0), (w, 0), (w, h), (0, h)])
        pts = np.round((corners - 0.5) * 16).astype(np.int32)
        a = params["edge_shadow"]
        shade = tuple(int(v * (1 - a)) for v in (200, 200, 200))
        cv2.polylines(out, [pts], True, shade, 2, cv2.LINE_AA, 4)
        return out, step


class ScannerNoise(Transform):
    """Sensor noise, horizontal banding along the scan direction and vertical streaks (dust on
    the glass)."""

    name = "scanner_noise"

    def sample(self, rng, page):
        s = self.strength
        w = page.width
        streaks = [
            [_u(rng, 0, w), _u(rng, 1, 4), _u(rng, -25, 12) * s]
            for _ in range(int(rng.integers(0, 1 + int(5 * s))))
        ]
        return {
            "sigma": _u(rng, 1.0, 2.0 + 6.0 * s),
            "band_amp": _u(rng, 0.5, 1.0 + 5.0 * s),
            "band_rows": _u(rng, 4, 40),
            "streaks": streaks,
            "seed": new_seed(rng),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        rng = np.random.default_rng(params["seed"])
        # The random bytes are drawn for the whole page (uint8: 1/4 of the float noise) and
        # turned into float noise one band at a time.
        u = ops.random_bytes(rng, (h, w))
        lut = ops.normal_lut(params["sigma"])
        nb = max(2, int(h / params["band_rows"]) + 2)
        bands = np.interp(np.arange(h), np.linspace(0, h, nb), rng.standard_normal(nb))
        rows = (params["band_amp"] * bands).astype(np.float32)[:, None]
        cols = np.zeros(w, np.float32)
        x = np.arange(w)
        for cx, width, amp in params["streaks"]:
            cols += amp * np.exp(-(((x - cx) / width) ** 2)).astype(np.float32)
        out = np.empty_like(image)
        for r0, r1 in ops.bands(h):
            delta = cv2.LUT(u[r0:r1], lut)
            delta += rows[r0:r1]
            delta += cols[None, :]
            ops.add_into(image[r0:r1], delta, out[r0:r1])
        return out


class TonerFade(Transform):
    """Worn toner: ink fades in patches, and a few streaks lost their toner entirely."""

    name = "toner_fade"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        drop = []
        for _ in range(int(rng.integers(0, 1 + int(4 * s)))):
            vertical = bool(rng.random() < 0.5)
            drop.append(
                {
                    "axis": "x" if vertical else "y",
                    "pos": _u(rng, 0, w if vertical else h),
                    "width": _u(rng, 1, 4),
                    "strength": _u(rng, 0.3, 0.5 + 0.4 * s),
                }
            )
        return {
            "fade": _u(rng, 0.05, 0.1 + 0.35 * s),
            "patchiness": _u(rng, 0.05, 0.25) * s,
            "cell_px": _u(rng, 80, 400),
            "dropouts": drop,
            "seed": new_seed(rng),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        hc, wc = max(2, h // 8), max(2, w // 8)
        rng = np.random.default_rng(params["seed"])
        n = ops.smooth_noise(rng, hc, wc, max(params["cell_px"] / 8, 1.0))
        f = np.clip(params["fade"] + params["patchiness"] * n, 0.0, 0.85).astype(np.float32)
        out = np.empty_like(image)
        for r0, r1 in ops.bands(h):
            amount = ops.upsample_rows(f, w, h, r0, r1)
            for d in params["dropouts"]:
                lo = int(max(0, d["pos"] - d["width"] / 2))
                hi = int(min(w if d["axis"] == "x" else h, d["pos"] + d["width"] / 2 + 1))
                if d["axis"] == "y":  # rows lo:hi, shifted into this band
                    lo, hi = max(lo, r0) - r0, min(hi, r1) - r0
                    sel = np.s_[lo:hi] if hi > lo else None
                else:
                    sel = np.s_[:, lo:hi]
                if sel is not None:
                    np.maximum(amount[sel], np.float32(d["strength"]), out=amount[sel])
            ops.screen_into(image[r0:r1], amount, out[r0:r1])
        return out


class Blur(Transform):
    """Optical blur of the scanner (Gaussian)."""

    name = "blur"

    def sample(self, rng, page):
        return {"sigma": _u(rng, 0.3, 0.6 + 0.9 * self.strength)}

    def apply_image(self, image, params):
        return cv2.GaussianBlur(image, (0, 0), params["sigma"])


class LowDpi(Transform):
    """Scanned at a lower resolution than printed, then shown at page size."""

    name = "low_dpi"

    def sample(self, rng, page):
        s = self.strength
        return {
            "scale": _u(rng, 0.75 - 0.4 * s, 0.9 - 0.25 * s),
            "up": "nearest" if rng.random() < 0.2 * s else "linear",
        }

    def apply_image(self, image, params):
        up = cv2.INTER_NEAREST if params["up"] == "nearest" else cv2.INTER_LINEAR
        return fpixel.downscale(image, params["scale"], cv2.INTER_AREA, up)


class Grayscale(Transform):
    """Grayscale scan (still stored as RGB)."""

    name = "grayscale"

    def sample(self, rng, page):
        # The two cheap methods (desaturation/average reduce over channels in numpy: ~0.2 s).
        return {"method": ("weighted_average", "from_lab")[int(rng.integers(2))]}

    def apply_image(self, image, params):
        return np.ascontiguousarray(fpixel.to_gray(image, 3, params["method"]))


class Binarize(Transform):
    """Black-and-white scan or fax: a global or adaptive threshold, often dropping the grid."""

    name = "binarize"

    def sample(self, rng, page):
        method = ("fixed", "otsu", "adaptive")[int(rng.integers(3))]
        return {
            "method": method,
            "threshold": _u(rng, 140, 200),
            "block": int(rng.integers(10, 30)) * 2 + 1,
            "c": _u(rng, 5, 20),
        }

    def apply_image(self, image, params):
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if params["method"] == "adaptive":
            bw = cv2.adaptiveThreshold(
                gray,
                255,
                cv2.ADAPTIVE_THRESH_MEAN_C,
                cv2.THRESH_BINARY,
                params["block"],
                params["c"],
            )
        elif params["method"] == "otsu":
            _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        else:
            _, bw = cv2.threshold(gray, params["threshold"], 255, cv2.THRESH_BINARY)
        return cv2.cvtColor(bw, cv2.COLOR_GRAY2RGB)


class Moire(Transform):
    """Moire of a re-scanned print: a fine grating beating against the sampling grid, showing
    as slow curved bands."""

    name = "moire"

    def sample(self, rng, page):
        s = self.strength
        return {
            "period_px": _u(rng, 2.2, 6.0),
            "angle_deg": _u(rng, 0, 180),
            "amp": _u(rng, 0.02, 0.04 + 0.06 * s),
            "envelope_px": _u(rng, 150, 600),
            "seed": new_seed(rng),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        a = np.deg2rad(params["angle_deg"])
        k = 2 * np.pi / params["period_px"]
        kx, ky = k * np.cos(a), k * np.sin(a)
        x = (np.arange(w, dtype=np.float32) + 0.5) * np.float32(kx)
        y = (np.arange(h, dtype=np.float32) + 0.5) * np.float32(ky)
        cx, sx, cy, sy = np.cos(x), np.sin(x), np.cos(y), np.sin(y)
        hc, wc = max(2, h // 16), max(2, w // 16)
        rng = np.random.default_rng(params["seed"])
        env = ops.smooth_noise(rng, hc, wc, max(params["envelope_px"] / 16, 1.0))
        env = np.abs(env).astype(np.float32) * np.float32(params["amp"])
        out = np.empty_like(image)
        for r0, r1 in ops.bands(h):
            # cos(kx x + ky y), separably: two outer products instead of a full-size trig call.
            gain = np.outer(cy[r0:r1], cx)
            gain -= np.outer(sy[r0:r1], sx)
            gain *= ops.upsample_rows(env, w, h, r0, r1)
            gain += np.float32(1.0)
            cv2.multiply(
                image[r0:r1], cv2.merge([gain, gain, gain]), dst=out[r0:r1], dtype=cv2.CV_8U
            )
        return out


class Jpeg(Transform):
    """JPEG compression (the file a scanner or phone writes): albumentations' ImageCompression
    with the quality drawn here (a fixed quality range leaves it no random choice)."""

    name = "jpeg"

    def sample(self, rng, page):
        s = self.strength
        return {"quality": int(rng.integers(int(92 - 55 * s), int(97 - 30 * s) + 1))}

    def apply_image(self, image, params):
        # OpenCV's JPEG codec expects BGR; going through it in RGB would compute luma and chroma
        # from the wrong channels.
        q = int(params["quality"])
        jpeg = A.ImageCompression(quality_range=(q, q), compression_type="jpeg", p=1.0)
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        out = A.Compose([jpeg], seed=0)(image=bgr)["image"]
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
