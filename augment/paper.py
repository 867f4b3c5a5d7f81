"""Paper artifacts: tint, wrinkles, folds, stains, holes, torn edges, dog-ears.

Each class draws its choices in ``sample`` (positions in the current image's pixels) and renders
them in ``apply_image``/``warp`` from those params alone. Only ``Wrinkles`` moves the geometry
(a smooth displacement field); the rest change pixels only.
"""

from __future__ import annotations

import cv2
import numpy as np

from augment import geometry, ops
from augment.base import Transform, new_seed

# Colours of what shows through a hole or around a torn edge (the scanner lid, a desk...).
BACKGROUNDS = ((238, 238, 236), (205, 205, 203), (60, 60, 62), (120, 96, 70), (30, 30, 32))


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


class PaperTint(Transform):
    """Yellowed, grey, cool or pink paper with a faint low-frequency mottle."""

    name = "paper_tint"
    TONES = {
        "yellowed": (1.0, 0.965, 0.86),
        "grey": (0.95, 0.95, 0.94),
        "cool": (0.95, 0.975, 1.0),
        "pink": (1.0, 0.96, 0.955),
    }

    def sample(self, rng, page):
        s = self.strength
        tone = _pick(rng, sorted(self.TONES))
        depth = _u(rng, 0.3, 1.0) * s
        gains = [1.0 - (1.0 - g) * depth * 1.5 for g in self.TONES[tone]]
        return {
            "gains": gains,
            "mottle": _u(rng, 0.005, 0.025) * s,
            "cell_px": _u(rng, 60, 300),
            "seed": new_seed(rng),
            "tone": tone,
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        hc, wc = max(2, h // 16), max(2, w // 16)
        rng = np.random.default_rng(params["seed"])
        n = ops.smooth_noise(rng, hc, wc, max(params["cell_px"] / 16, 1.0))
        gain = (1.0 + params["mottle"] * n)[..., None] * np.asarray(params["gains"], np.float32)
        return ops.multiply(image, gain.astype(np.float32))


def _segment_coords(x, y, seg):
    """(along, across) coordinates of points relative to a segment (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    length = max(np.hypot(dx, dy), 1e-6)
    ux, uy = dx / length, dy / length
    along = (x - x0) * ux + (y - y0) * uy
    across = -(x - x0) * uy + (y - y0) * ux
    return along / length, across


class Wrinkles(Transform):
    """Crumpled paper: ridge lines lit from one side plus a small smooth displacement."""

    name = "wrinkles"
    geometric = True

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        n = int(rng.integers(2, 4 + int(22 * s)))
        ridges = []
        for _ in range(n):
            cx, cy = _u(rng, 0, w), _u(rng, 0, h)
            ang = _u(rng, 0, np.pi)
            half = _u(rng, 0.05, 0.35) * min(w, h)
            ridges.append(
                {
                    "seg": [
                        cx - half * np.cos(ang),
                        cy - half * np.sin(ang),
                        cx + half * np.cos(ang),
                        cy + half * np.sin(ang),
                    ],
                    "width": _u(rng, 3, 25),
                    "amp": _u(rng, 0.02, 0.09) * s * float(rng.choice([-1, 1])),
                }
            )
        gy, gx = 7, 9
        amp = _u(rng, 0.5, 1.0) * (0.5 + 3.0 * s)  # px
        grid = rng.standard_normal((gy, gx, 2)) * amp / 2.0
        return {
            "ridges": ridges,
            "light_deg": _u(rng, 0, 360),
            "grid": np.round(grid, 3).tolist(),
            "mottle": _u(rng, 0.01, 0.04) * s,
            "seed": new_seed(rng),
        }

    def warp(self, page, params):
        w, h = page.width, page.height
        step = {"type": "field", "grid": params["grid"], "size": [w, h]}
        image = geometry.warp_image(page.image, step, border_value=None)
        return ops.multiply(image, self._shading(w, h, params)), step

    @staticmethod
    def _shading(w, h, params):
        cell = 4
        x, y, nx, ny = ops.coarse_grid(w, h, cell)
        light = np.deg2rad(params["light_deg"])
        lx, ly = np.cos(light), np.sin(light)
        shade = np.zeros_like(x)
        for r in params["ridges"]:
            x0, y0, x1, y1 = r["seg"]
            # Only the ridge's neighbourhood: its profile is ~0 beyond 6 widths.
            m = 6 * r["width"]
            c0 = int(np.clip((min(x0, x1) - m) / w * nx, 0, nx))
            c1 = int(np.clip((max(x0, x1) + m) / w * nx + 1, 0, nx))
            r0 = int(np.clip((min(y0, y1) - m) / h * ny, 0, ny))
            r1 = int(np.clip((max(y0, y1) + m) / h * ny + 1, 0, ny))
            if c1 <= c0 or r1 <= r0:
                continue
            t, d = _segment_coords(x[r0:r1, c0:c1], y[r0:r1, c0:c1], (x0, y0, x1, y1))
            # Normal of the ridge, to tell the lit side from the shaded one.
            nlen = max(np.hypot(x1 - x0, y1 - y0), 1e-6)
            facing = (-(y1 - y0) * lx + (x1 - x0) * ly) / nlen
            taper = np.sqrt(np.clip(1.0 - np.abs(2.0 * t - 1.0), 0.0, 1.0))
            prof = np.sign(d) * np.exp(-np.abs(d) / r["width"]) * facing
            crease = np.exp(-((d / 2.5) ** 2))
            shade[r0:r1, c0:c1] += (
                r["amp"] * taper * (prof - 0.5 * abs(facing) * crease * np.sign(r["amp"]))
            )
        rng = np.random.default_rng(params["seed"])
        shade += params["mottle"] * ops.smooth_noise(rng, ny, nx, 30)
        # Crumpled paper never lies flat towards the light: a slightly dimmer base lets the lit
        # sides of the ridges show on white paper instead of clipping.
        base = 1.0 - 0.5 * sum(abs(r["amp"]) for r in params["ridges"]) / max(
            1, len(params["ridges"])
        )
        return np.clip(base * (1.0 + shade), 0.6, 1.15).astype(np.float32)


class Fold(Transform):
    """Straight fold lines (letter folded in halves or thirds): a light and a dark side and a
    thin dark crease."""

    name = "fold"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        folds = []
        for _ in range(int(rng.integers(1, 3))):
            horizontal = bool(rng.random() < 0.6)
            frac = float(_pick(rng, (1 / 3, 1 / 2, 2 / 3))) + _u(rng, -0.03, 0.03)
            ang = _u(rng, -2.0, 2.0)
            if horizontal:
                p, a = [w / 2, frac * h], ang
            else:
                p, a = [frac * w, h / 2], 90.0 + ang
            folds.append(
                {
                    "point": p,
                    "angle_deg": a,
                    "amp": _u(rng, 0.03, 0.1) * s,
                    "width": _u(rng, 6, 40),
                    "crease": _u(rng, 0.05, 0.25) * s,
                    "side": float(rng.choice([-1, 1])),
                }
            )
        return {"folds": folds}

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        # The light/dark sides vary over tens of pixels: a coarse field. The crease itself is a
        # thin anti-aliased line drawn at full resolution.
        x, y, _, _ = ops.coarse_grid(w, h, 4)
        gain = np.ones_like(x)
        for f in params["folds"]:
            a = np.deg2rad(f["angle_deg"])
            d = -(x - f["point"][0]) * np.sin(a) + (y - f["point"][1]) * np.cos(a)
            gain += f["side"] * f["amp"] * np.sign(d) * np.exp(-np.abs(d) / f["width"])
        out = ops.multiply(image, np.clip(gain, 0.5, 1.2).astype(np.float32))
        for f in params["folds"]:
            out = self._crease(out, f)
        return out

    @staticmethod
    def _crease(image, f):
        h, w = image.shape[:2]
        a = np.deg2rad(f["angle_deg"])
        px, py = f["point"]
        big = 2 * (w + h)
        p0 = np.array([px - big * np.cos(a), py - big * np.sin(a)])
        p1 = np.array([px + big * np.cos(a), py + big * np.sin(a)])
        ok, c0, c1 = cv2.clipLine((0, 0, w, h), tuple(map(int, p0)), tuple(map(int, p1)))
        if not ok:
            return image
        x0, x1 = max(0, min(c0[0], c1[0]) - 4), min(w, max(c0[0], c1[0]) + 5)
        y0, y1 = max(0, min(c0[1], c1[1]) - 4), min(h, max(c0[1], c1[1]) + 5)
        alpha = np.zeros((y1 - y0, x1 - x0), np.uint8)
        q0 = (int((p0[0] - x0 - 0.5) * 16), int((p0[1] - y0 - 0.5) * 16))
        q1 = (int((p1[0] - x0 - 0.5) * 16), int((p1[1] - y0 - 0.5) * 16))
        cv2.line(alpha, q0, q1, 255, 2, cv2.LINE_AA, 4)
        alpha = alpha.astype(np.float32) / 255.0 * min(1.0, f["crease"] * 2.5)
        return ops.ink(image, alpha, (90, 90, 90), x0, y0)


class Stain(Transform):
    """Coffee rings and water marks: an irregular blot with a darker tide line."""

    name = "stain"
    KINDS = {
        # kind: (colour, fill, ring)
        "coffee": ((150, 95, 45), 0.25, 1.0),
        "coffee_ring": ((140, 90, 45), 0.05, 1.0),
        "water": ((200, 190, 165), 0.6, 0.8),
    }

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        stains = []
        for _ in range(int(rng.integers(1, 2 + int(2 * s)))):
            kind = _pick(rng, sorted(self.KINDS))
            stains.append(
                {
                    "kind": kind,
                    "center": [_u(rng, 0, w), _u(rng, 0, h)],
                    "radius": _u(rng, 0.04, 0.12) * min(w, h),
                    "opacity": _u(rng, 0.15, 0.45) * (0.4 + 0.6 * s),
                    "ring_px": _u(rng, 1.5, 5.0),
                    "harmonics": (rng.standard_normal((5, 2)) * 0.05).round(4).tolist(),
                    "seed": new_seed(rng),
                }
            )
        return {"stains": stains}

    def apply_image(self, image, params):
        out = image
        for st in params["stains"]:
            color, fill, ring = self.KINDS[st["kind"]]
            r = st["radius"]
            cx, cy = st["center"]
            x0, y0 = int(cx - 1.4 * r), int(cy - 1.4 * r)
            size = int(2.8 * r) + 1
            yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
            dx, dy = xx + x0 + 0.5 - cx, yy + y0 + 0.5 - cy
            rho = np.hypot(dx, dy)
            th = np.arctan2(dy, dx)
            edge = np.ones_like(th)
            for k, (a, b) in enumerate(st["harmonics"], start=2):
                edge += a * np.cos(k * th) + b * np.sin(k * th)
            radius = r * edge
            inside = 0.5 - 0.5 * np.tanh((rho - radius) / 3.0)
            tide = np.exp(-(((rho - radius) / st["ring_px"]) ** 2))
            rng = np.random.default_rng(st["seed"])
            blot = 0.6 + 0.4 * ops.smooth_noise(rng, size, size, max(r / 3, 2))
            alpha = st["opacity"] * (fill * inside * np.clip(blot, 0, 1.5) + ring * tide)
            out = ops.ink(out, np.clip(alpha, 0, 1), color, x0, y0)
        return out


class Holes(Transform):
    """Punch holes along an edge, or a staple in a corner."""

    name = "holes"

    def sample(self, rng, page):
        w, h = page.width, page.height
        ppm = page.px_per_mm * page.width / (page.page_size_px or (w, h))[0]
        kind = "punch" if rng.random() < 0.6 else "staple"
        fill = list(_pick(rng, BACKGROUNDS))
        if kind == "punch":
            edge = _pick(rng, ("left", "top"))
            n = int(rng.choice([2, 3]))
            spacing = (80.0 if n == 2 else 108.0 / 2) * ppm
            along = (h if edge == "left" else w) / 2 + spacing * (np.arange(n) - (n - 1) / 2)
            inset = _u(rng, 9, 14) * ppm
            centers = [[inset, float(a)] if edge == "left" else [float(a), inset] for a in along]
            return {"kind": kind, "centers": centers, "radius": 3.0 * ppm, "fill": fill}
        corner = [_u(rng, 8, 15) * ppm, _u(rng, 8, 15) * ppm]
        ang = _u(rng, 20, 70)
        return {
            "kind": kind,
            "center": corner,
            "angle_deg": ang,
            "length": 12.0 * ppm,
            "fill": fill,
        }

    def apply_image(self, image, params):
        out = image.copy()
        if params["kind"] == "punch":
            r = params["radius"]
            for cx, cy in params["centers"]:
                c = (int(round((cx - 0.5) * 16)), int(round((cy - 0.5) * 16)))
                # A faint shadow on the lower-right rim, then the hole itself.
                sc = (c[0] + 16, c[1] + 16)
                cv2.circle(out, sc, int(r * 16), (150, 150, 150), -1, cv2.LINE_AA, 4)
                cv2.circle(out, c, int(r * 16), tuple(params["fill"]), -1, cv2.LINE_AA, 4)
            return out
        cx, cy = params["center"]
        a = np.deg2rad(params["angle_deg"])
        half = params["length"] / 2
        p0 = np.array([cx - half * np.cos(a), cy - half * np.sin(a)])
        p1 = np.array([cx + half * np.cos(a), cy + half * np.sin(a)])

        def pt(p):
            return (int(round((p[0] - 0.5) * 16)), int(round((p[1] - 0.5) * 16)))

        th = max(2, int(round(params["length"] / 20)))
        cv2.line(out, pt(p0 + 1.5), pt(p1 + 1.5), (120, 120, 120), th, cv2.LINE_AA, 4)
        cv2.line(out, pt(p0), pt(p1), (150, 152, 158), th, cv2.LINE_AA, 4)
        cv2.line(out, pt(p0), pt(p1), (215, 218, 222), max(1, th // 2), cv2.LINE_AA, 4)
        for p in (p0, p1):
            cv2.circle(out, pt(p), 16 * th, (90, 90, 90), -1, cv2.LINE_AA, 4)
        return out


def _edge_polygon(side, w, h, start, end, depths):
    """Polygon of a strip torn off ``side`` between fractions start..end, given depth samples."""
    n = len(depths)
    t = np.linspace(start, end, n)
    d = np.asarray(depths)
    if side == "top":
        inner = np.c_[t * w, d]
        outer = [[end * w, -2], [start * w, -2]]
    elif side == "bottom":
        inner = np.c_[t * w, h - d]
        outer = [[end * w, h + 2], [start * w, h + 2]]
    elif side == "left":
        inner = np.c_[d, t * h]
        outer = [[-2, end * h], [-2, start * h]]
    else:
        inner = np.c_[w - d, t * h]
        outer = [[w + 2, end * h], [w + 2, start * h]]
    return inner, np.vstack([inner, outer])


class TornEdge(Transform):
    """A ragged strip torn off one edge; the gap shows what lies under the sheet."""

    name = "torn_edge"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        ppm = page.px_per_mm * w / (page.page_size_px or (w, h))[0]
        side = _pick(rng, ("top", "bottom", "left", "right"))
        start = _u(rng, -0.1, 0.6)
        end = min(1.1, start + _u(rng, 0.2, 0.6))
        n = 64
        depth = _u(rng, 1.5, 3.0 + 5.0 * s) * ppm
        # 1/f noise: big bites plus small ragged teeth.
        prof = np.zeros(n)
        for octave, amp in ((2, 1.0), (6, 0.5), (16, 0.25), (32, 0.15)):
            knots = rng.uniform(0, 1, octave + 1)
            prof += amp * np.interp(np.linspace(0, octave, n), np.arange(octave + 1), knots)
        prof = prof / prof.max()
        taper = np.sin(np.linspace(0, np.pi, n)) ** 0.3
        return {
            "side": side,
            "start": start,
            "end": end,
            "depths": np.round(depth * prof * taper, 2).tolist(),
            "fill": list(_pick(rng, BACKGROUNDS)),
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        inner, poly = _edge_polygon(
            params["side"], w, h, params["start"], params["end"], params["depths"]
        )
        out = image.copy()
        pts = np.round((poly - 0.5) * 16).astype(np.int32)
        cv2.fillPoly(out, [pts], tuple(params["fill"]), cv2.LINE_AA, 4)
        # Torn paper shows its white fibres along the tear.
        fib = np.round((inner - 0.5) * 16).astype(np.int32)
        cv2.polylines(out, [fib], False, (250, 250, 246), 2, cv2.LINE_AA, 4)
        return out


class DogEar(Transform):
    """A corner folded over: the flap shows the paper's blank back and casts a soft shadow."""

    name = "dog_ear"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        ppm = page.px_per_mm * w / (page.page_size_px or (w, h))[0]
        a = _u(rng, 8, 12 + 25 * s) * ppm
        return {
            "corner": _pick(rng, ("tl", "tr", "bl", "br")),
            "legs": [a, a * _u(rng, 0.6, 1.5)],
            "fill": list(_pick(rng, BACKGROUNDS)),
            "back": [int(v) for v in rng.integers(215, 240, 3)],
        }

    def apply_image(self, image, params):
        h, w = image.shape[:2]
        a, b = params["legs"]
        corner = params["corner"]
        cx = 0.0 if corner[1] == "l" else float(w)
        cy = 0.0 if corner[0] == "t" else float(h)
        sx = 1.0 if corner[1] == "l" else -1.0
        sy = 1.0 if corner[0] == "t" else -1.0
        c = np.array([cx, cy])
        pa, pb = c + [sx * a, 0.0], c + [0.0, sy * b]
        # The flap is the corner triangle mirrored across the fold line pa-pb.
        u = (pb - pa) / np.linalg.norm(pb - pa)
        v = c - pa
        mirrored = pa + 2 * np.dot(v, u) * u - v

        def cvp(p):
            return np.round((np.asarray(p, dtype=np.float64) - 0.5) * 16).astype(np.int32)

        out = image.copy()
        cv2.fillConvexPoly(out, cvp([c, pa, pb]), tuple(params["fill"]), cv2.LINE_AA, 4)
        # Soft shadow of the flap on the page.
        x0 = int(max(0, min(pa[0], pb[0], mirrored[0]) - 20))
        y0 = int(max(0, min(pa[1], pb[1], mirrored[1]) - 20))
        x1 = int(min(w, max(pa[0], pb[0], mirrored[0]) + 20))
        y1 = int(min(h, max(pa[1], pb[1], mirrored[1]) + 20))
        if x1 > x0 and y1 > y0:
            sh = np.zeros((y1 - y0, x1 - x0), np.float32)
            off = np.array([x0, y0]) - 0.5
            shadow_tri = np.round(([pa, pb, mirrored + (mirrored - c) * 0.06] - off) * 16)
            cv2.fillConvexPoly(sh, shadow_tri.astype(np.int32), 0.35, cv2.LINE_AA, 4)
            sh = cv2.GaussianBlur(sh, (0, 0), 5)
            out = ops.ink(out, sh, (0, 0, 0), x0, y0)
        cv2.fillConvexPoly(out, cvp([pa, pb, mirrored]), tuple(params["back"]), cv2.LINE_AA, 4)
        cv2.polylines(out, [cvp([pa, mirrored, pb])], False, (170, 170, 168), 1, cv2.LINE_AA, 4)
        return out
