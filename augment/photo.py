"""Phone-photo effects: the sheet in perspective on a surface, lens distortion, uneven light and
vignetting, cast shadows, glare, defocus and motion blur, sensor noise, colour cast.

Smooth fields (light, shadow, glare) are built on a coarse grid and upsampled; blur kernels and
noise come from albumentations' functional API with parameters drawn here.
"""

from __future__ import annotations

import random

import cv2
import numpy as np

from augment import geometry, ops, textures
from augment.albu import fblur, fpixel
from augment.base import Transform, new_seed

SURFACE_COLORS = {
    "wood": ((150, 100, 60), (120, 80, 50), (175, 130, 85), (95, 65, 45)),
    "laminate": ((200, 200, 195), (140, 140, 140), (225, 220, 205), (70, 72, 75)),
    "cloth": ((60, 80, 120), (110, 40, 45), (70, 100, 70), (90, 90, 95)),
    "clipboard": ((150, 110, 70), (125, 90, 55), (40, 40, 45)),
}


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


class Perspective(Transform):
    """A sheet lying on a desk, cloth or clipboard, photographed from an angle (homography).

    The output frame is larger than the page and shows the surface around the sheet, with the
    sheet's soft contact shadow on it.
    """

    name = "perspective"
    geometric = True

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        # The photo keeps about the page's pixel count (a phone picture scaled to the dataset's
        # resolution): the sheet shrinks to leave room for the surface around it.
        out_w = int(round(w * _u(rng, 1.0, 1.04)))
        out_h = int(round(h * _u(rng, 1.0, 1.06)))
        scale = min(out_w / w, out_h / h) * _u(rng, 0.92 - 0.1 * s, 0.96 - 0.06 * s)
        rot = np.deg2rad(_u(rng, -1, 1) * (1 + 3 * s))
        c, sn = np.cos(rot), np.sin(rot)
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64) - [w / 2, h / 2]
        dst = corners @ np.array([[c, sn], [-sn, c]]) * scale + [out_w / 2, out_h / 2]
        # Perspective: the far edge shrinks (keystone) and each corner wanders a little.
        keystone = _u(rng, 0.0, 0.02 + 0.10 * s)
        far = int(rng.integers(4))  # which edge is farther from the camera
        edge = [(0, 1), (1, 2), (2, 3), (3, 0)][far]
        mid = dst[list(edge)].mean(axis=0)
        for i in edge:
            dst[i] = dst[i] + (mid - dst[i]) * keystone
        dst += rng.normal(0, 0.004 + 0.012 * s, (4, 2)) * min(w, h)
        dst[:, 0] = np.clip(dst[:, 0], 2, out_w - 2)
        dst[:, 1] = np.clip(dst[:, 1], 2, out_h - 2)
        kind = textures.SURFACES[int(rng.integers(len(textures.SURFACES)))]
        colors = SURFACE_COLORS[kind]
        color = colors[int(rng.integers(len(colors)))]
        return {
            "corners": np.round(dst, 3).tolist(),
            "size": [out_w, out_h],
            "surface": kind,
            "surface_color": list(color),
            "surface_seed": new_seed(rng),
            "shadow_offset": [_u(rng, -6, 6), _u(rng, 2, 12)],
            "shadow_blur": _u(rng, 6, 25),
            "shadow_strength": _u(rng, 0.25, 0.55),
        }

    def warp(self, page, params):
        w, h = page.width, page.height
        out_w, out_h = params["size"]
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
        dst = np.asarray(params["corners"], dtype=np.float64)
        hmat = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
        step = {"type": "homography", "matrix": hmat.tolist(), "size": [out_w, out_h]}
        bg = textures.surface(
            params["surface"], params["surface_seed"], out_w, out_h, params["surface_color"]
        )
        # Contact shadow: the sheet's outline, offset and blurred, at quarter resolution.
        q = 4
        sh = np.zeros((out_h // q + 1, out_w // q + 1), np.float32)
        poly = (dst + params["shadow_offset"]) / q
        cv2.fillConvexPoly(sh, np.round(poly * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
        sh = cv2.GaussianBlur(sh, (0, 0), params["shadow_blur"] / q)
        gain = 1.0 - np.float32(params["shadow_strength"]) * sh
        bg = ops.multiply(bg, gain)
        out = geometry.warp_image(page.image, step, dst=bg)
        if params["surface"] == "clipboard":
            top = dst[0] + (dst[1] - dst[0]) / 2
            ang = np.degrees(np.arctan2(dst[1][1] - dst[0][1], dst[1][0] - dst[0][0]))
            out = textures.draw_clip(out, top, ang, np.linalg.norm(dst[1] - dst[0]) * 0.2)
        return out, step


class Lens(Transform):
    """Mild barrel distortion of a phone lens (radial, centred near the frame centre)."""

    name = "lens"
    geometric = True

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        return {
            "k1": _u(rng, 0.005, 0.02 + 0.06 * s),
            "k2": _u(rng, 0.0, 0.01 * s),
            "center": [w / 2 + _u(rng, -0.03, 0.03) * w, h / 2 + _u(rng, -0.03, 0.03) * h],
        }

    def warp(self, page, params):
        w, h = page.width, page.height
        norm = float(np.hypot(w, h) / 2)
        cx, cy = params["center"]
        # Zoom so the farthest corner maps onto itself: the whole frame stays covered.
        rho = max(np.hypot(x - cx, y - cy) for x in (0, w) for y in (0, h)) / norm
        f = 1 + params["k1"] * rho**2 + params["k2"] * rho**4
        step = {
            "type": "lens",
            "k1": params["k1"],
            "k2": params["k2"],
            "center": [cx, cy],
            "norm": norm,
            "scale": float(1.0 / f),
            "size": [w, h],
        }
        return geometry.warp_image(page.image, step, border_value=None), step


class Illumination(Transform):
    """Uneven light across the frame (a linear gradient) and vignetting."""

    name = "illumination"

    def sample(self, rng, page):
        s = self.strength
        return {
            "brightness": _u(rng, 0.85, 1.05),
            "gradient": _u(rng, 0.05, 0.1 + 0.3 * s),
            "angle_deg": _u(rng, 0, 360),
            "vignette": _u(rng, 0.05, 0.1 + 0.35 * s),
            "center": [_u(rng, 0.35, 0.65), _u(rng, 0.35, 0.65)],
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        x, y, _, _ = ops.coarse_grid(w, h, 16)
        a = np.deg2rad(params["angle_deg"])
        proj = ((x / w - 0.5) * np.cos(a) + (y / h - 0.5) * np.sin(a)) * 2
        cx, cy = params["center"]
        r2 = ((x / w - cx) ** 2 + (y / h - cy) ** 2) / 0.5
        gain = (
            params["brightness"] * (1 + params["gradient"] * proj) * (1 - params["vignette"] * r2)
        )
        return ops.multiply(image, np.clip(gain, 0.2, 1.3).astype(np.float32))


class Shadow(Transform):
    """A soft cast shadow of the hand or the phone taking the picture, entering from an edge."""

    name = "shadow"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        kind = "hand" if rng.random() < 0.5 else "phone"
        side = int(rng.integers(4))
        # Anchor on the chosen edge; the shape reaches into the frame along the inward normal.
        t = _u(rng, 0.2, 0.8)
        anchor, inward = [
            ([t * w, -0.05 * h], [0, 1]),
            ([1.05 * w, t * h], [-1, 0]),
            ([t * w, 1.05 * h], [0, -1]),
            ([-0.05 * w, t * h], [1, 0]),
        ][side]
        reach = _u(rng, 0.15, 0.25 + 0.25 * s) * min(w, h)
        ang = np.arctan2(inward[1], inward[0]) + _u(rng, -0.5, 0.5)
        d = np.array([np.cos(ang), np.sin(ang)])
        nrm = np.array([-d[1], d[0]])
        a = np.asarray(anchor, dtype=np.float64)
        polys = []
        if kind == "phone":
            half = _u(rng, 0.08, 0.14) * min(w, h)
            tip = a + d * reach
            polys.append([a - nrm * half, tip - nrm * half, tip + nrm * half, a + nrm * half])
        else:
            palm_w = _u(rng, 0.1, 0.16) * min(w, h)
            base = a + d * reach * 0.6
            polys.append(
                [a - nrm * palm_w, base - nrm * palm_w, base + nrm * palm_w, a + nrm * palm_w]
            )
            for k in range(4):
                off = (k - 1.5) / 1.5 * palm_w * 0.8
                length = reach * _u(rng, 0.35, 0.6)
                fw = palm_w * 0.18
                fd = d + nrm * _u(rng, -0.15, 0.15)
                fd /= np.linalg.norm(fd)
                fn = np.array([-fd[1], fd[0]])
                root = base + nrm * off
                tip = root + fd * length
                polys.append(
                    [root - fn * fw, tip - fn * fw * 0.8, tip + fn * fw * 0.8, root + fn * fw]
                )
        return {
            "kind": kind,
            "polygons": [np.round(np.asarray(p), 2).tolist() for p in polys],
            "darkness": _u(rng, 0.15, 0.25 + 0.35 * s),
            "softness_px": _u(rng, 10, 60),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        q = 4
        mask = np.zeros((-(-h // q), -(-w // q)), np.float32)
        for p in params["polygons"]:
            pts = np.round(np.asarray(p) / q * 16).astype(np.int32)
            cv2.fillConvexPoly(mask, pts, 1.0, cv2.LINE_AA, 4)
        mask = cv2.GaussianBlur(mask, (0, 0), max(params["softness_px"] / q, 0.5))
        # Shade is lit by the blue sky/ambient light: red drops most.
        tint = np.array([1.0, 0.95, 0.85], np.float32) * params["darkness"]
        gain = 1.0 - mask[..., None] * tint
        return ops.multiply(image, gain.astype(np.float32))


class Glare(Transform):
    """Specular highlight of a lamp or window on glossy paper, plus a faint veil."""

    name = "glare"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        return {
            "center": [_u(rng, 0.15, 0.85) * w, _u(rng, 0.15, 0.85) * h],
            "sigma_px": [_u(rng, 0.04, 0.15) * w, _u(rng, 0.03, 0.1) * h],
            "angle_deg": _u(rng, 0, 180),
            "peak": _u(rng, 0.25, 0.35 + 0.35 * s),
            "veil": _u(rng, 0.0, 0.06 * s),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        x, y, _, _ = ops.coarse_grid(w, h, 4)
        a = np.deg2rad(params["angle_deg"])
        dx, dy = x - params["center"][0], y - params["center"][1]
        u = dx * np.cos(a) + dy * np.sin(a)
        v = -dx * np.sin(a) + dy * np.cos(a)
        sx, sy = params["sigma_px"]
        q = (u / sx) ** 2 + (v / sy) ** 2
        # A flat-topped core (the lamp's reflection) with a Gaussian falloff.
        amount = params["peak"] * np.exp(-0.5 * q**1.6) + params["veil"]
        return ops.screen(image, np.clip(amount, 0, 0.95).astype(np.float32))


class Defocus(Transform):
    """Out of focus: a disk point-spread function."""

    name = "defocus"

    def sample(self, rng, page):
        return {"radius": _u(rng, 0.8, 1.2 + 1.8 * self.strength), "alias_blur": _u(rng, 0.1, 0.5)}

    def apply_image(self, image, params):
        return fpixel.convolve(image, ops.disk_kernel(params["radius"], params["alias_blur"]))


class MotionBlur(Transform):
    """Camera shake: a short linear motion kernel (albumentations' kernel builder)."""

    name = "motion_blur"

    def sample(self, rng, page):
        s = self.strength
        return {
            "kernel": int(rng.integers(1, 2 + int(3 * s))) * 2 + 1,
            "angle_deg": _u(rng, 0, 180),
            "direction": _u(rng, -1, 1),
        }

    def apply_image(self, image, params):
        k = fblur.create_motion_kernel(
            params["kernel"], params["angle_deg"], params["direction"], False, random.Random(0)
        )
        return fpixel.convolve(image, k / k.sum())


class SensorNoise(Transform):
    """Phone sensor noise: fine luminance grain plus coarser chroma blotches.

    Drawn with :func:`augment.ops.gaussian_noise` rather than albumentations' ``GaussNoise``:
    that one costs ~0.2 s per 200-dpi page (float noise for every channel and a float add)."""

    name = "sensor_noise"

    def sample(self, rng, page):
        s = self.strength
        return {
            "luma_sigma": _u(rng, 1.5, 3.0 + 6.0 * s),  # 0-255 levels
            "chroma_sigma": _u(rng, 0.5, 1.0 + 4.0 * s),
            "seed": new_seed(rng),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        rng = np.random.default_rng(params["seed"])
        # Bytes for the whole page (uint8), float noise one band at a time.
        luma = ops.random_bytes(rng, (h, w))
        chroma = ops.gaussian_noise(rng, (-(-h // 4), -(-w // 4), 3), params["chroma_sigma"])
        lut = ops.normal_lut(params["luma_sigma"])
        out = np.empty_like(image)
        for r0, r1 in ops.bands(h):
            delta = ops.upsample_rows(chroma, w, h, r0, r1)
            delta += cv2.LUT(luma[r0:r1], lut)[..., None]
            cv2.add(image[r0:r1], delta, dst=out[r0:r1], dtype=cv2.CV_8U)
        return out


class ColorCast(Transform):
    """White balance off (warm lamp, cool daylight, greenish fluorescent) and a contrast shift."""

    name = "color_cast"

    def sample(self, rng, page):
        s = self.strength
        k = 0.03 + 0.12 * s
        gains = [1 + _u(rng, -k, k), 1 + _u(rng, -k / 2, k / 2), 1 + _u(rng, -k, k)]
        return {"gains": gains, "contrast": _u(rng, 0.85, 1.05), "offset": _u(rng, -8, 8)}

    def apply_image(self, image, params):
        c = params["contrast"]
        m = np.zeros((3, 4), np.float32)
        for i, g in enumerate(params["gains"]):
            m[i, i] = g * c
            m[i, 3] = (1 - c) * 128 + params["offset"]
        return fpixel.linear_transformation_rgb(image, m)
