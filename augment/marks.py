"""Pen marks and rubber stamps, drawn procedurally (no handwriting model, nothing downloaded).

Pen strokes are stored in params as explicit point lists (hand wobble already applied), so
``apply`` only rasterises them. Notes are written glyph by glyph in OpenCV's Hershey script font
with a jittered baseline, size and slant, which reads as quick handwriting at page scale.
"""

from __future__ import annotations

import cv2
import numpy as np

from augment import ops
from augment.base import Transform, new_seed

INKS = {"blue": (25, 45, 150), "black": (25, 25, 30), "red": (175, 30, 35)}
# Short workflow notes. Never diagnostic words ("AF?", "brady", "RBBB"...): on a page they would
# either give the answer away or contradict the record's labels, teaching a model to read the
# scribble instead of the trace. No names, dates or identifiers either.
NOTES = (
    "ok",
    "repeat",
    "cf prior",
    "seen",
    "compare",
    "f/u",
    "copy",
    "file",
    "noted",
    "done",
    "2nd copy",
    "see note",
    "rpt in 1h",
    "to chart",
)
STAMP_WORDS = ("REVIEWED", "COPY", "RECEIVED", "VERIFIED", "FILED", "SCANNED", "CONFIRMED")
STAMP_INKS = {"red": (190, 40, 50), "blue": (40, 60, 170), "purple": (110, 50, 140)}


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _ppm(page) -> float:
    w = page.width
    return page.px_per_mm * w / (page.page_size_px or (w, page.height))[0]


def _circle_stroke(rng, cx, cy, rx, ry):
    rot = _u(rng, -0.4, 0.4)
    t0 = _u(rng, 0, 2 * np.pi)
    sweep = 2 * np.pi * _u(rng, 1.05, 1.3)
    t = t0 + np.linspace(0, sweep, 90)
    wob = 1 + 0.04 * np.sin(2 * t + _u(rng, 0, 6)) + np.linspace(0, _u(rng, 0.03, 0.1), len(t))
    x, y = rx * wob * np.cos(t), ry * wob * np.sin(t)
    return np.c_[cx + x * np.cos(rot) - y * np.sin(rot), cy + x * np.sin(rot) + y * np.cos(rot)]


def _arrow_strokes(rng, tip, tail):
    tip, tail = np.asarray(tip, float), np.asarray(tail, float)
    d = tip - tail
    normal = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-6)
    ctrl = (tip + tail) / 2 + normal * np.linalg.norm(d) * _u(rng, -0.25, 0.25)
    t = np.linspace(0, 1, 30)[:, None]
    shaft = (1 - t) ** 2 * tail + 2 * (1 - t) * t * ctrl + t**2 * tip
    back = shaft[-4] - tip
    back = back / max(np.linalg.norm(back), 1e-6) * max(8.0, 0.18 * np.linalg.norm(d))
    strokes = [shaft]
    for sign in (-1, 1):
        a = np.deg2rad(25 + _u(rng, -6, 6)) * sign
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        strokes.append(np.vstack([tip, tip + rot @ back]))
    return strokes


def _scribble_stroke(rng, x0, y0, length, height):
    n = int(rng.integers(3, 9))
    t = np.linspace(0, 1, 40 * n)
    w = 2 * np.pi * n
    x = x0 + t * length + 0.35 * length / n * np.sin(w * t)
    y = y0 + 0.5 * height * np.cos(w * t) + _u(rng, -0.3, 0.3) * height * t
    return np.c_[x, y]


def _trace_region(rng, page):
    """Image-frame bounding box of a stretch of some panel's trace, or None."""
    panels = [p for p in page.panels if len(p.polyline) > 4]
    if not panels:
        return None
    p = panels[int(rng.integers(len(panels)))]
    pts = np.asarray(p.polyline, dtype=np.float64)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 4:
        return None
    k = max(4, len(pts) // int(rng.integers(2, 5)))
    i0 = int(rng.integers(0, max(1, len(pts) - k)))
    seg = pts[i0 : i0 + k]
    return seg[:, 0].min(), seg[:, 1].min(), seg[:, 0].max(), seg[:, 1].max()


class PenMarks(Transform):
    """Handwritten-looking marks: circled stretches of a lead, arrows, scribbles, ticks, notes."""

    name = "pen_marks"

    def sample(self, rng, page):
        s = self.strength
        w, h = page.width, page.height
        ppm = _ppm(page)
        ink = sorted(INKS)[int(rng.integers(len(INKS)))]
        marks = []
        for _ in range(int(rng.integers(1, 2 + int(4 * s)))):
            kind = ("circle", "arrow", "scribble", "tick", "note")[int(rng.integers(5))]
            region = _trace_region(rng, page)
            if region is None:
                region = (0.2 * w, 0.2 * h, 0.4 * w, 0.3 * h)
            x0, y0, x1, y1 = region
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if kind == "circle":
                strokes = [
                    _circle_stroke(rng, cx, cy, (x1 - x0) / 2 + 4 * ppm, (y1 - y0) / 2 + 4 * ppm)
                ]
            elif kind == "arrow":
                ang = _u(rng, 0, 2 * np.pi)
                dist = _u(rng, 12, 30) * ppm
                tip = [cx + 2 * ppm * np.cos(ang), cy + 2 * ppm * np.sin(ang)]
                tail = [cx + dist * np.cos(ang), cy + dist * np.sin(ang)]
                strokes = _arrow_strokes(rng, tip, tail)
            elif kind == "scribble":
                strokes = [
                    _scribble_stroke(
                        rng,
                        _u(rng, 0, 0.8 * w),
                        _u(rng, 0.05, 0.95) * h,
                        _u(rng, 15, 45) * ppm,
                        _u(rng, 2, 5) * ppm,
                    )
                ]
            elif kind == "tick":
                a = np.array([cx - 3 * ppm, y0 - 6 * ppm])
                strokes = [np.vstack([a, a + [2 * ppm, 3 * ppm], a + [7 * ppm, -5 * ppm]])]
            else:
                strokes = []
            for st in strokes:
                st += rng.normal(0, 0.15 * ppm, st.shape)  # hand tremor
            mark = {"kind": kind, "strokes": [np.round(st, 2).tolist() for st in strokes]}
            if kind == "note":
                mark["text"] = NOTES[int(rng.integers(len(NOTES)))]
                mark["origin"] = [_u(rng, x0, x1), float(y0 - _u(rng, 2, 5) * ppm)]
                mark["height_px"] = _u(rng, 4, 7) * ppm
                mark["angle_deg"] = _u(rng, -12, 12)
                mark["jitter"] = np.round(rng.normal(0, 1, (len(mark["text"]), 3)), 3).tolist()
            marks.append(mark)
        return {"ink": ink, "width_px": _u(rng, 0.25, 0.6) * ppm, "marks": marks}

    def apply_image(self, image, params):
        th = max(1, int(round(params["width_px"])))
        out = image.copy()  # one copy; every mark inks into it in place
        # One small canvas per mark: marks are scattered, a page-sized canvas would cost more
        # than the drawing.
        for m in params["marks"]:
            if m["kind"] == "note":
                pad = int(m["height_px"] * (len(m["text"]) + 4))
                ox, oy = m["origin"]
                x0, y0 = int(ox) - pad, int(oy) - pad
                alpha = np.zeros((2 * pad, 2 * pad), np.uint8)
                _write(alpha, m, th, x0, y0)
            else:
                pts = np.concatenate([np.asarray(st, dtype=np.float64) for st in m["strokes"]])
                x0, y0 = (np.floor(pts.min(axis=0)) - th - 2).astype(int)
                x1, y1 = (np.ceil(pts.max(axis=0)) + th + 2).astype(int)
                alpha = np.zeros((y1 - y0, x1 - x0), np.uint8)
                for st in m["strokes"]:
                    q = np.round((np.asarray(st) - [x0 + 0.5, y0 + 0.5]) * 16).astype(np.int32)
                    cv2.polylines(alpha, [q], False, 255, th, cv2.LINE_AA, 4)
            # 0.92: ink never covers fully (uint8 alpha is converted one band at a time).
            alpha = cv2.multiply(alpha, 0.92)
            ops.ink(out, alpha, INKS[params["ink"]], int(x0), int(y0), inplace=True)
        return out


def _write(alpha: np.ndarray, mark: dict, thickness: int, x0: int = 0, y0: int = 0) -> None:
    """Render a note glyph by glyph (jittered) into ``alpha`` (whose top-left pixel is at
    (x0, y0) in the image) at the mark's origin and angle."""
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    hpx = mark["height_px"]
    scale = hpx / 22.0  # Hershey script glyphs are about 22 px tall at scale 1
    pad = int(hpx)
    width = int(hpx * 0.9 * (len(mark["text"]) + 2)) + 2 * pad
    canvas = np.zeros((int(3 * hpx) + 2 * pad, width), np.uint8)
    x = float(pad)
    base = pad + 2 * hpx
    for ch, (jx, jy, js) in zip(mark["text"], mark["jitter"]):
        sc = scale * (1 + 0.08 * js)
        org = (int(x + jx * 0.5), int(base + jy * 0.08 * hpx))
        cv2.putText(canvas, ch, org, font, sc, 255, thickness, cv2.LINE_AA)
        (cw, _), _ = cv2.getTextSize(ch, font, sc, thickness)
        x += cw * 0.95
    m = cv2.getRotationMatrix2D((pad, base), mark["angle_deg"], 1.0)
    m[0, 1] += -0.15  # slant
    ox, oy = mark["origin"]
    m[0, 2] += ox - x0 - pad
    m[1, 2] += oy - y0 - base
    warped = cv2.warpAffine(canvas, m, (alpha.shape[1], alpha.shape[0]), flags=cv2.INTER_LINEAR)
    np.maximum(alpha, warped, out=alpha)


class Stamp(Transform):
    """A rubber stamp (boxed or round) in red, blue or purple with patchy ink."""

    name = "stamp"

    def sample(self, rng, page):
        w, h = page.width, page.height
        ppm = _ppm(page)
        word = STAMP_WORDS[int(rng.integers(len(STAMP_WORDS)))]
        return {
            "word": word,
            "shape": "round" if rng.random() < 0.35 else "box",
            "ink": sorted(STAMP_INKS)[int(rng.integers(len(STAMP_INKS)))],
            "center": [_u(rng, 0.1, 0.9) * w, _u(rng, 0.1, 0.9) * h],
            "width_px": _u(rng, 35, 60) * ppm,
            "angle_deg": _u(rng, -25, 25),
            "opacity": _u(rng, 0.45, 0.9),
            "seed": new_seed(rng),
        }

    def apply_image(self, image, params):
        wpx = params["width_px"]
        round_ = params["shape"] == "round"
        hpx = wpx if round_ else wpx * 0.32
        size = int(np.hypot(wpx, hpx)) + 8
        canvas = np.zeros((size, size), np.uint8)
        c = size / 2
        th = max(2, int(wpx / 60))
        if round_:
            cv2.circle(canvas, (int(c), int(c)), int(wpx / 2), 255, th, cv2.LINE_AA)
            cv2.circle(canvas, (int(c), int(c)), int(wpx / 2 * 0.82), 255, max(1, th // 2))
        else:
            p0 = (int(c - wpx / 2), int(c - hpx / 2))
            p1 = (int(c + wpx / 2), int(c + hpx / 2))
            cv2.rectangle(canvas, p0, p1, 255, th, cv2.LINE_AA)
        font = cv2.FONT_HERSHEY_DUPLEX
        word = params["word"]
        target = wpx * (0.62 if round_ else 0.85)
        (tw, tht), _ = cv2.getTextSize(word, font, 1.0, 2)
        sc = target / tw
        org = (int(c - tw * sc / 2), int(c + tht * sc / 2))
        cv2.putText(canvas, word, org, font, sc, 255, max(1, int(2 * sc)), cv2.LINE_AA)
        m = cv2.getRotationMatrix2D((c, c), params["angle_deg"], 1.0)
        canvas = cv2.warpAffine(canvas, m, (size, size)).astype(np.float32) / 255.0
        rng = np.random.default_rng(params["seed"])
        patchy = 0.75 + 0.35 * ops.smooth_noise(rng, size, size, max(size / 10, 2))
        speck = rng.random((size, size), dtype=np.float32) > 0.12
        alpha = np.clip(canvas * patchy * speck, 0, 1) * params["opacity"]
        cx, cy = params["center"]
        return ops.ink(
            image, alpha, STAMP_INKS[params["ink"]], int(cx - size / 2), int(cy - size / 2)
        )
