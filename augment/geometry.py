"""Geometric warp steps: the page-to-image mapping that ``Page.warp`` records.

``Page.warp`` is a list of JSON dicts, one per geometric augmentation, applied in order. Each step
maps the frame *before* it (``in_size``) to the frame *after* it (``size``), both ``[W, H]`` in
pixels with the convention of :mod:`ecginstruct.types` (origin at the top-left corner of the
top-left pixel; the centre of pixel (i, j) is (j + 0.5, i + 0.5)). Step types:

``affine``      ``matrix`` 2x3, forward (input -> output).            rotation, skew, margins
``homography``  ``matrix`` 3x3, forward (input -> output).            a sheet seen in perspective
``lens``        radial model, *backward* (output -> input)::          barrel distortion

                    src = c + (dst - c) * scale * (1 + k1 r^2 + k2 r^4),  r = |dst - c| / norm

``field``       smooth displacement, *backward*: ``src = dst + D(dst)``, with ``D`` the
                Catmull-Rom interpolation of a coarse grid ``grid`` (gy, gx, 2) whose nodes span
                the output image corner to corner.                    wrinkles, crumples

Each step can map points forward (:func:`forward_points`, used to move the annotations; the
backward-defined steps are inverted numerically) and produce a backward remap of its output
pixels (:func:`backward_points`, used to warp the image). :func:`unwarp` composes the forward maps
of a whole chain to resample an augmented image back into the page frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from augment.ops import bands, upsample_rows

Step = dict[str, Any]

# Smooth maps (lens, displacement field) are evaluated on a grid this many pixels apart and
# upsampled bilinearly: the maps bend over hundreds of pixels, so the interpolation error stays
# below 0.01 px (h^2/8 * curvature) while the work drops ~64-fold.
MAP_STEP = 8

STEP_TYPES = ("affine", "homography", "lens", "field")


# --------------------------------------------------------------------------------------------
# point mapping
# --------------------------------------------------------------------------------------------


def _as_points(pts) -> np.ndarray:
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


def _apply_h(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    # Written out rather than a matmul: (N, 3) x (3, 3) through BLAS threads costs more than
    # the arithmetic on a busy machine.
    m = np.asarray(matrix, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    u = m[0, 0] * x + m[0, 1] * y + m[0, 2]
    v = m[1, 0] * x + m[1, 1] * y + m[1, 2]
    if m.shape[0] == 2:  # affine
        return np.c_[u, v]
    w = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return np.c_[u / w, v / w]


def _h3(step: Step) -> np.ndarray:
    m = np.asarray(step["matrix"], dtype=np.float64)
    return np.vstack([m, [0.0, 0.0, 1.0]]) if m.shape == (2, 3) else m


def _cubic_taps(u: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Catmull-Rom taps for positions ``u`` in node units: (indices, weights), each (N, 4),
    indices clamped at the edges."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, n - 1.0)
    i = np.minimum(np.floor(u).astype(np.int64), max(n - 2, 0))
    t = u - i
    t2, t3 = t * t, t * t * t
    w = np.stack(
        [
            -0.5 * t3 + t2 - 0.5 * t,
            1.5 * t3 - 2.5 * t2 + 1.0,
            -1.5 * t3 + 2.0 * t2 + 0.5 * t,
            0.5 * t3 - 0.5 * t2,
        ],
        axis=1,
    )
    idx = np.clip(i[:, None] + np.arange(-1, 3)[None, :], 0, n - 1)
    return idx, w


def _cubic_weights(u: np.ndarray, n: int) -> np.ndarray:
    """Dense (len(u), n) Catmull-Rom weights (for separable evaluation on a grid)."""
    idx, w = _cubic_taps(u, n)
    out = np.zeros((len(idx), n))
    rows = np.repeat(np.arange(len(idx)), 4)
    np.add.at(out, (rows, idx.ravel()), w.ravel())
    return out


def _field_at(step: Step, pts: np.ndarray) -> np.ndarray:
    """Displacement D at output points ``pts`` (N, 2): 4x4 taps gathered per point."""
    grid = np.asarray(step["grid"], dtype=np.float64)
    gy, gx = grid.shape[:2]
    w, h = step["size"]
    ix, wx = _cubic_taps(pts[:, 0] / w * (gx - 1), gx)
    iy, wy = _cubic_taps(pts[:, 1] / h * (gy - 1), gy)
    flat = (iy[:, :, None] * gx + ix[:, None, :]).reshape(len(pts), 16)
    w = (wy[:, :, None] * wx[:, None, :]).reshape(len(pts), 16)
    g = grid.reshape(-1, 2)
    return np.c_[(w * g[flat, 0]).sum(axis=1), (w * g[flat, 1]).sum(axis=1)]


def _field_dense(step: Step, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Displacement on the separable grid xs x ys: (len(ys), len(xs), 2), by two matrix products."""
    grid = np.asarray(step["grid"], dtype=np.float64)
    gy, gx = grid.shape[:2]
    w, h = step["size"]
    wx = _cubic_weights(xs / w * (gx - 1), gx)
    wy = _cubic_weights(ys / h * (gy - 1), gy)
    # einsum's own loops, not BLAS (tiny inner dimensions; BLAS threads only add overhead).
    tmp = np.einsum("yi,ijc->yjc", wy, grid)
    return np.einsum("yjc,xj->yxc", tmp, wx)


def _lens_factor(step: Step, rho: np.ndarray) -> np.ndarray:
    r2 = rho * rho
    return step["scale"] * (1.0 + step["k1"] * r2 + step["k2"] * r2 * r2)


def backward_points(step: Step, pts) -> np.ndarray:
    """Map output-frame points of ``step`` back to its input frame."""
    pts = _as_points(pts)
    kind = step["type"]
    if kind in ("affine", "homography"):
        return _apply_h(np.linalg.inv(_h3(step)), pts)
    if kind == "lens":
        c = np.asarray(step["center"], dtype=np.float64)
        d = pts - c
        rho = np.hypot(d[:, 0], d[:, 1]) / step["norm"]
        return c + d * _lens_factor(step, rho)[:, None]
    if kind == "field":
        return pts + _field_at(step, pts)
    raise ValueError(f"unknown warp step type {kind!r}")


def forward_points(step: Step, pts) -> np.ndarray:
    """Map input-frame points of ``step`` to its output frame."""
    pts = _as_points(pts)
    kind = step["type"]
    if kind in ("affine", "homography"):
        return _apply_h(_h3(step), pts)
    if kind == "lens":
        # Solve rho_d * f(rho_d) = rho_s for rho_d by Newton (monotonic for the mild k we draw).
        c = np.asarray(step["center"], dtype=np.float64)
        d = pts - c
        rho_s = np.hypot(d[:, 0], d[:, 1]) / step["norm"]
        k1, k2, s = step["k1"], step["k2"], step["scale"]
        rho = rho_s / s
        for _ in range(20):
            r2 = rho * rho
            g = s * rho * (1 + k1 * r2 + k2 * r2 * r2) - rho_s
            dg = s * (1 + 3 * k1 * r2 + 5 * k2 * r2 * r2)
            rho = rho - g / dg
        ratio = np.divide(rho, rho_s, out=np.full_like(rho, 1.0 / s), where=rho_s > 1e-12)
        return c + d * ratio[:, None]
    if kind == "field":
        # Fixed point dst = src - D(dst): D is smooth and small (Lipschitz << 1), so it converges.
        dst = pts - _field_at(step, pts)
        for _ in range(30):
            new = pts - _field_at(step, dst)
            done = np.nanmax(np.abs(new - dst), initial=0.0) < 1e-5
            dst = new
            if done:
                break
        return dst
    raise ValueError(f"unknown warp step type {kind!r}")


def map_points(warp: Sequence[Step] | None, pts) -> np.ndarray:
    """Map page-frame points through a whole chain of steps to the image frame."""
    out = _as_points(pts)
    for step in warp or ():
        out = forward_points(step, out)
    return out


def box_outline(box, n: int = 16) -> np.ndarray:
    """Points along the outline of an (x0, y0, x1, y1) box, ``n`` per side."""
    x0, y0, x1, y1 = box
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    top = np.c_[x0 + (x1 - x0) * t, np.full(n, y0)]
    right = np.c_[np.full(n, x1), y0 + (y1 - y0) * t]
    bottom = np.c_[x1 - (x1 - x0) * t, np.full(n, y1)]
    left = np.c_[np.full(n, x0), y1 - (y1 - y0) * t]
    return np.vstack([top, right, bottom, left])


def map_box(warp: Sequence[Step] | None, box) -> tuple[float, float, float, float]:
    """Bounding box, in the image frame, of a page-frame box moved by ``warp``."""
    p = map_points(warp, box_outline(box))
    return (
        float(p[:, 0].min()),
        float(p[:, 1].min()),
        float(p[:, 0].max()),
        float(p[:, 1].max()),
    )


# --------------------------------------------------------------------------------------------
# image warping
# --------------------------------------------------------------------------------------------


def _cv_matrix(step: Step) -> np.ndarray:
    """The step's forward matrix in OpenCV's convention (pixel centres at integer coordinates)."""
    t_in = np.array([[1.0, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    t_out = np.array([[1.0, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    return t_out @ _h3(step) @ t_in


def _coarse_axes(size: Sequence[int], step_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres of step_px x step_px blocks: the sample positions that cv2.resize(fx=step_px)
    interpolates from exactly."""
    w, h = size
    nx, ny = -(-int(w) // step_px), -(-int(h) // step_px)
    return (np.arange(nx) + 0.5) * step_px, (np.arange(ny) + 0.5) * step_px


def _upsample_map(coarse: np.ndarray, size: Sequence[int], step_px: int) -> np.ndarray:
    w, h = size
    ny, nx = coarse.shape[:2]
    full = cv2.resize(
        coarse.astype(np.float32), (nx * step_px, ny * step_px), interpolation=cv2.INTER_LINEAR
    )
    return full[: int(h), : int(w)]


def _grid_points(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    gx, gy = np.meshgrid(xs, ys)
    return np.c_[gx.ravel(), gy.ravel()]


def backward_map(step: Step, step_px: int = MAP_STEP) -> np.ndarray:
    """(H, W, 2) float32 source coordinates (OpenCV convention) of every output pixel."""
    w, h = step["size"]
    return _upsample_map(_coarse_map(step, step_px) - 0.5, (w, h), step_px)


def _coarse_map(step: Step, step_px: int = MAP_STEP) -> np.ndarray:
    """Source coordinates (pixel-centre convention) at the centres of step_px blocks."""
    xs, ys = _coarse_axes(step["size"], step_px)
    if step["type"] == "field":
        src = _field_dense(step, xs, ys)
        src[..., 0] += xs[None, :]
        src[..., 1] += ys[:, None]
    else:
        src = backward_points(step, _grid_points(xs, ys)).reshape(len(ys), len(xs), 2)
    return src


def warp_image(
    image: np.ndarray,
    step: Step,
    *,
    border_value=(255, 255, 255),
    dst: np.ndarray | None = None,
    interpolation: int = cv2.INTER_LINEAR,
) -> np.ndarray:
    """Warp ``image`` (the step's input frame) into the step's output frame.

    With ``dst`` given, pixels that fall outside the input keep ``dst``'s values (a background
    drawn beforehand); otherwise they take ``border_value`` (``None``: the nearest edge pixel).
    """
    w, h = (int(v) for v in step["size"])
    if dst is not None:
        border = {"borderMode": cv2.BORDER_TRANSPARENT, "dst": dst}
    elif border_value is None:
        border = {"borderMode": cv2.BORDER_REPLICATE}
    else:
        border = {"borderMode": cv2.BORDER_CONSTANT, "borderValue": tuple(map(int, border_value))}
    if step["type"] == "affine":
        return cv2.warpAffine(image, _cv_matrix(step)[:2], (w, h), flags=interpolation, **border)
    if step["type"] == "homography":
        return cv2.warpPerspective(image, _cv_matrix(step), (w, h), flags=interpolation, **border)
    # The dense map is (H, W, 2) float32 -- twice the page's uint8 size -- so it is upsampled
    # and used one band of output rows at a time.
    coarse = (_coarse_map(step) - 0.5).astype(np.float32)
    out = dst if dst is not None else np.empty((h, w) + image.shape[2:], image.dtype)
    ny, nx = coarse.shape[:2]
    for r0, r1 in bands(h):
        m = upsample_rows(coarse, nx * MAP_STEP, ny * MAP_STEP, r0, r1)[:, :w]
        cv2.remap(image, np.ascontiguousarray(m), None, interpolation, dst=out[r0:r1], **border)
    return out


def forward_map(warp: Sequence[Step], page_size: Sequence[int], step_px: int = MAP_STEP):
    """(H, W, 2) float32 image coordinates (OpenCV convention) of every page pixel."""
    xs, ys = _coarse_axes(page_size, step_px)
    img = map_points(warp, _grid_points(xs, ys)).reshape(len(ys), len(xs), 2)
    return _upsample_map(img - 0.5, page_size, step_px)


def unwarp(
    image: np.ndarray,
    warp: Sequence[Step] | None,
    page_size: Sequence[int],
    *,
    border_value=(255, 255, 255),
) -> np.ndarray:
    """Resample an augmented image back into the page frame (``page_size`` = (W, H)), using the
    inverse of ``warp``: each page pixel takes the image value where the warp sent it."""
    if not warp:
        return image.copy()
    m = forward_map(warp, page_size)
    return cv2.remap(
        image,
        m,
        None,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(map(int, border_value)),
    )


def local_scale(warp: Sequence[Step] | None, pt, eps: float = 2.0) -> float:
    """sqrt(|det J|) of the page-to-image mapping at a page point: how much lengths grow there."""
    if not warp:
        return 1.0
    x, y = pt
    p = map_points(warp, [(x - eps, y), (x + eps, y), (x, y - eps), (x, y + eps)])
    jx = (p[1] - p[0]) / (2 * eps)
    jy = (p[3] - p[2]) / (2 * eps)
    return float(np.sqrt(abs(jx[0] * jy[1] - jx[1] * jy[0])))


def validate_step(step: Step) -> None:
    """Raise ValueError when a step dict lacks what its type needs."""
    need = {
        "affine": ("matrix", "size"),
        "homography": ("matrix", "size"),
        "lens": ("k1", "k2", "center", "norm", "scale", "size"),
        "field": ("grid", "size"),
    }
    kind = step.get("type")
    if kind not in need:
        raise ValueError(f"unknown warp step type {kind!r}; known: {', '.join(STEP_TYPES)}")
    missing = [k for k in need[kind] if k not in step]
    if missing:
        raise ValueError(f"warp step {kind!r} lacks {', '.join(missing)}")
