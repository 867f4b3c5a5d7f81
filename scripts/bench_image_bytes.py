"""Bytes per image vs. digitization fidelity, per style, dpi and encoder setting.

    python scripts/bench_image_bytes.py --samples 45 --dpi 100 150 200 [--json out.json]

Pages are made exactly as the build makes them (demo recipe scaled to N samples: render, then
the unit's style), then encoded with each candidate setting. Per (dpi, style, setting): mean KiB
per image, encode ms, PSNR of the decoded image against the lossless one, and digitization
fidelity (``renderers.digitize``: the decoded image is unwarped back to the page frame with
``augment.unwarp`` and read back lead by lead; median over pages of the per-page median r and
median SNR). The lossless row ("png") is what the augmentation itself leaves of the signal; the
gap to it is what the encoder costs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def encoders() -> dict:
    import cv2

    from renderers.encode import encode_png

    def jpeg(q: int, sampling: int | None = None, optimize: bool = False):
        def f(img):
            p = [cv2.IMWRITE_JPEG_QUALITY, q]
            if sampling is not None:
                p += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sampling]
            if optimize:
                p += [cv2.IMWRITE_JPEG_OPTIMIZE, 1]
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), p)
            return buf.tobytes()

        return f

    s444 = cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
    return {
        "png": encode_png,
        "png-l6": lambda img: encode_png(img, compression=6),
        "png-l9-adaptive": lambda img: encode_png(img, compression=9, png_filter=None),
        "jpeg-q95": jpeg(95),
        "jpeg-q90": jpeg(90),
        "jpeg-q90-opt": jpeg(90, optimize=True),
        "jpeg-q90-444": jpeg(90, s444),
        "jpeg-q85-opt": jpeg(85, optimize=True),
        "jpeg-q80-opt": jpeg(80, optimize=True),
        "jpeg-q75-opt": jpeg(75, optimize=True),
    }


def pages(n: int, dpi: int, src: Path):
    """(style, page, record) as the build makes them."""
    from bench_build import scaled_demo

    from ecginstruct.pipeline import BuildContext, _choose_task, _draw_style
    from ecginstruct.plan import make_plan
    from ecginstruct.seeding import rng_for

    recipe = scaled_demo(n, src, dpi)
    ctx = BuildContext(recipe)
    st = ctx.stages
    for shard in make_plan(recipe).shards:
        for unit in shard.units:
            spec = recipe.source(unit.source_id)
            record = ctx.source(unit.source_id).load(unit.ref)
            try:
                _choose_task(st, recipe, spec, unit, record)
            except Exception:  # noqa: BLE001 -- a unit the build would reject
                continue
            rng = rng_for(recipe.seed, unit.uid, "render")
            page = st.render_page(record, st.sample_spec(rng, **recipe.render), rng)
            style, intensity = _draw_style(st, recipe, unit)
            page = st.apply_style(page, style, intensity, rng_for(recipe.seed, unit.uid, "augment"))
            yield style, page, record


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=45)
    ap.add_argument("--dpi", type=int, nargs="+", default=[100, 150, 200])
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    # a lead the naive digitizer finds no ink for scores NaN; medians skip it
    warnings.filterwarnings("ignore", category=RuntimeWarning)

    from augment import unwarp
    from ecginstruct.commands.demo import write_demo_sources
    from renderers.digitize import fidelity, summarize
    from renderers.encode import decode

    src = write_demo_sources(Path(tempfile.mkdtemp(prefix="bench-img-")))
    encs = encoders()
    rows = []
    for dpi in args.dpi:
        acc: dict = defaultdict(lambda: defaultdict(list))
        for style, page, record in pages(args.samples, dpi, src):
            for name, enc in encs.items():
                t0 = time.perf_counter()
                data = enc(page.image)
                ms = (time.perf_counter() - t0) * 1000
                img = decode(data)
                flat = unwarp(img, page.warp, page.page_size_px)
                s = summarize(fidelity(page, record, flat))
                for key in (style, "all"):
                    a = acc[(key, name)]
                    a["kib"].append(len(data) / 1024)
                    a["ms"].append(ms)
                    a["psnr"].append(psnr(img, page.image))
                    a["r"].append(s["median_r"])
                    a["snr"].append(s["median_snr_db"])
        for (style, name), a in sorted(acc.items()):
            rows.append(
                {
                    "dpi": dpi,
                    "style": style,
                    "encoder": name,
                    "n": len(a["kib"]),
                    "kib": round(float(np.mean(a["kib"])), 1),
                    "encode_ms": round(float(np.mean(a["ms"])), 1),
                    "psnr_db": round(float(np.median(a["psnr"])), 1),
                    "median_r": round(float(np.nanmedian(a["r"])), 4),
                    "median_snr_db": round(float(np.nanmedian(a["snr"])), 2),
                }
            )
    print(
        f"{'dpi':>4} {'style':<13}{'encoder':<17}{'n':>3}{'KiB':>8}{'ms':>7}{'PSNR':>7}"
        f"{'r':>8}{'SNR dB':>8}"
    )
    for r in rows:
        print(
            f"{r['dpi']:>4} {r['style']:<13}{r['encoder']:<17}{r['n']:>3}{r['kib']:>8.1f}"
            f"{r['encode_ms']:>7.1f}{r['psnr_db']:>7.1f}{r['median_r']:>8.4f}"
            f"{r['median_snr_db']:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
