"""The dataset card (README.md with Hugging Face YAML) plus its gallery and plots (assets/).

Everything on the card comes from the plan and the shard markers, so the card is as deterministic
as the shards (no dates, no timings: those live in summary.json). The YAML header is built with
``huggingface_hub.DatasetCardData``; features come from :func:`ecginstruct.shards.features`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np

from ecginstruct import __version__
from ecginstruct.plan import Plan
from ecginstruct.recipe import SPLITS
from ecginstruct.shards import DATA_DIR, features, shard_path

ASSETS = "assets"
GALLERY_N = 8
TOP_LABELS = 30


def aggregate(stats: list[dict]) -> dict:
    """Sum the per-shard counts of the markers."""
    total: dict[str, Counter] = {}
    for s in stats:
        for key, counts in s.get("counts", {}).items():
            total.setdefault(key, Counter()).update(counts)
    bytes_per_split: Counter = Counter()
    rows_per_split: Counter = Counter()
    rejects: Counter = Counter()
    for s in stats:
        rows_per_split[s["split"]] += s["rows"]
        bytes_per_split[s["split"]] += s["bytes"]
        for r in s["rejects"]:
            rejects[(r["source"], r["stage"], r["kind"])] += 1
    return {
        "counts": total,
        "rows_per_split": rows_per_split,
        "bytes_per_split": bytes_per_split,
        "rejects": rejects,
        "written": sum(s["rows"] for s in stats),
        "rejected": sum(len(s["rejects"]) for s in stats),
    }


def _size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < limit:
            return name
    return "10M<n<100M"


def card_data(plan: Plan, agg: dict):
    from huggingface_hub import DatasetCardData

    splits = [s for s in SPLITS if agg["rows_per_split"].get(s)]
    return DatasetCardData(
        license=plan.recipe.license,
        pretty_name=plan.recipe.name,
        language=["en"],
        task_categories=["image-text-to-text", "visual-question-answering"],
        tags=["ecg", "electrocardiogram", "medical", "synthetic-images", "instruction-tuning"],
        size_categories=[_size_category(agg["written"])],
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"{DATA_DIR}/{s}-*"} for s in splits],
            }
        ],
        dataset_info={
            "features": features()._to_yaml_list(),
            "splits": [
                {
                    "name": s,
                    "num_bytes": int(agg["bytes_per_split"][s]),
                    "num_examples": int(agg["rows_per_split"][s]),
                }
                for s in splits
            ],
        },
    )


def _md_table(rows, headers) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _counts_table(counter: Counter, name: str, top: int | None = None) -> str:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if top:
        items = items[:top]
    total = sum(counter.values()) or 1
    return _md_table([(k, f"{v:,}", f"{100 * v / total:.1f}%") for k, v in items], [name, "n", "%"])


def _provenance(plan: Plan, out: Path) -> str:
    r = plan.recipe
    recipe_file = Path(out) / "recipe.yaml"
    file_sha = (
        hashlib.sha256(recipe_file.read_bytes()).hexdigest() if recipe_file.is_file() else "-"
    )
    rows = []
    for sp in plan.sources:
        title, lic = "-", "-"
        try:
            from ecginstruct.manifests import load_source_manifest

            m = load_source_manifest(sp.source)
            title, lic = m.get("title", "-"), m.get("license", "-")
        except Exception:  # noqa: BLE001 -- a source without a manifest is still described
            pass
        rows.append(
            (sp.source_id, sp.source, title, lic, f"{sp.n_refs:,}", f"`{sp.refs_sha256[:16]}`")
        )
    lines = [
        f"- tool: ecginstruct {__version__}",
        f"- recipe: `{r.name}` (file sha256 `{file_sha}`, normalised sha256 `{r.fingerprint()}`)",
        f"- plan sha256: `{plan.fingerprint()}`; seed {r.seed}; "
        f"{r.samples_per_shard} samples per shard"
        + (f"; limited to {plan.limit} samples" if plan.limit else ""),
        f"- exclusion lists applied: {len(plan.excluded):,} records kept out "
        "(see `exclusions.csv`)",
        "",
        "Sources (the checksum covers the source's index: record ids, patients, load info):",
        "",
        _md_table(rows, ["id", "source", "title", "license", "records", "index sha256"]),
    ]
    return "\n".join(lines)


def _gallery_rows(out: Path, plan: Plan, n: int) -> list[dict]:
    import pyarrow.parquet as pq

    picked, styles_seen = [], Counter()
    cols = ["id", "image", "style", "intensity", "task", "source"]
    for shard in plan.shards:
        p = shard_path(out, shard.name)
        if not p.is_file():
            continue
        for batch in pq.ParquetFile(p).iter_batches(batch_size=16, columns=cols):
            for row in batch.to_pylist():
                # prefer variety: at most n/3 pages of one style
                if styles_seen[row["style"]] >= -(-n // 3):
                    continue
                styles_seen[row["style"]] += 1
                picked.append(row)
                if len(picked) >= n:
                    return picked
    return picked


def write_gallery(out: Path, plan: Plan, path: Path, n: int = GALLERY_N) -> bool:
    import cv2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _gallery_rows(out, plan, n)
    if not rows:
        return False
    cols = min(4, len(rows))
    nrows = -(-len(rows) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3.3 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        img = cv2.imdecode(np.frombuffer(row["image"]["bytes"], np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            continue
        ax.imshow(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        ax.set_title(
            f"{row['source']} · {row['style']}/{row['intensity']}\n{row['task']}", fontsize=8
        )
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
    return True


def write_plots(agg: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = agg["counts"]
    panels = [
        ("samples per source", c.get("source", Counter())),
        ("samples per task", c.get("task", Counter())),
        ("samples per style", c.get("style", Counter())),
        (f"top {20} labels", Counter(dict(c.get("label", Counter()).most_common(20)))),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (title, counter) in zip(axes.flat, panels):
        items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ax.barh([k for k, _ in items][::-1], [v for _, v in items][::-1], color="#b03a2e")
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)


def render_card(out: Path, plan: Plan, stats: list[dict], gallery: bool, plots: bool) -> str:
    from huggingface_hub import DatasetCard

    agg = aggregate(stats)
    c = agg["counts"]
    r = plan.recipe
    split_rows = [
        (s, f"{agg['rows_per_split'][s]:,}", f"{agg['bytes_per_split'][s] / 1e6:,.1f} MB")
        for s in SPLITS
        if agg["rows_per_split"].get(s)
    ]
    reject_rows = [
        (src, stage, kind, f"{n:,}")
        for (src, stage, kind), n in sorted(agg["rejects"].items(), key=lambda kv: -kv[1])
    ]
    body = [
        f"# {r.name}",
        "",
        r.description.strip() or "ECG page images paired with instruction/answer conversations.",
        "",
        "Built with ecginstruct from raw 12-lead ECG signals: every sample "
        "is one rendered ECG page (printed, scanned or photographed) and one conversation in "
        "LLaVA form. Answers come from the source's labels, measurements and reports, never from "
        "the image.",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/or/ORG/NAME")',
        "```",
        "",
        "## Size",
        "",
        f"**{agg['written']:,} samples** written; {agg['rejected']:,} work units rejected "
        f"(input {agg['written'] + agg['rejected']:,} = written + rejected; every reject is in "
        "`rejects.jsonl` with its stage and reason).",
        "",
        _md_table(split_rows, ["split", "samples", "size"]),
        "",
        "Splits are patient-level (PTB-XL `strat_fold` 9/10 -> val/test, others by a stable hash "
        "of the patient id); no patient appears in two splits.",
        "",
    ]
    if gallery:
        body += ["## Gallery", "", f"![gallery]({ASSETS}/gallery.png)", ""]
    if plots:
        body += ["## Composition", "", f"![counts]({ASSETS}/counts.png)", ""]
    body += ["### Per source", "", _counts_table(c.get("source", Counter()), "source"), ""]
    body += ["### Per split", "", _counts_table(c.get("split", Counter()), "split"), ""]
    body += [
        "### Per task (category/format)",
        "",
        _counts_table(c.get("task", Counter()), "task"),
        "",
    ]
    body += [
        "### Per task category",
        "",
        _counts_table(c.get("category", Counter()), "category"),
        "",
    ]
    body += ["### Per answer format", "", _counts_table(c.get("format", Counter()), "format"), ""]
    body += ["### Per style", "", _counts_table(c.get("style", Counter()), "style"), ""]
    body += [
        "### Per style intensity",
        "",
        _counts_table(c.get("intensity", Counter()), "intensity"),
        "",
    ]
    body += [
        "### Image format",
        "",
        _counts_table(c.get("image_format", Counter()), "format"),
        "",
    ]
    body += [
        f"### Labels (harmonised; top {TOP_LABELS})",
        "",
        _counts_table(c.get("label", Counter()), "label", top=TOP_LABELS),
        "",
    ]
    if reject_rows:
        body += ["### Rejected", "", _md_table(reject_rows, ["source", "stage", "kind", "n"]), ""]
    body += [
        "## Columns",
        "",
        "`id`, `image` (PNG/JPEG), `conversations` (list of {from, value}), `source`, "
        "`record_id`, `patient_id`, `split`, `category`, `format`, `template_id`, `task`, "
        "`style`, `intensity`, `image_format`, `labels`, `labels_used`, and JSON strings "
        "`answer_key`, `render_params`, `augment_params`, `ground_truth` (lead boxes, trace "
        "polylines in image pixels, px/mm), `measurements`, `meta`. `render_params` + "
        "`augment_params` reproduce the image from the raw record.",
        "",
        "## Provenance",
        "",
        _provenance(plan, out),
        "",
        "## License and use",
        "",
        "The images and texts derive from the sources above; their licenses and citation "
        "requirements apply. Pages show only age, sex and measurements: no names, dates or "
        "other personal data.",
        "",
    ]
    content = f"---\n{card_data(plan, agg).to_yaml()}\n---\n\n" + "\n".join(body)
    return str(DatasetCard(content))


def write_card(out: Path, plan: Plan, stats: list[dict]) -> Path:
    out = Path(out)
    assets = out / ASSETS
    assets.mkdir(exist_ok=True)
    gallery = write_gallery(out, plan, assets / "gallery.png")
    agg = aggregate(stats)
    plots = agg["written"] > 0
    if plots:
        write_plots(agg, assets / "counts.png")
    path = out / "README.md"
    path.write_text(render_card(out, plan, stats, gallery, plots))
    return path
