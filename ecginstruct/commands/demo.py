"""``ecginstruct demo`` (what ``make demo`` runs): build manifests/recipes/demo.yaml end to end.

It first writes a small PTB-XL-format and PhysioNet-2021-format tree from synthetic records into
``OUT/_sources`` (through the project's fixture writers, the true on-disk formats), then builds the
demo recipe into OUT with the local executor (``--executor ray`` for Ray), then validates it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEMO_RECIPE = "demo.yaml"
# Distinct synthetic seeds: the format copies hold other ECGs than the synthetic source itself.
PTBXL_SEED, PN2021_SEED = 101, 202
N_PTBXL, N_PN2021 = 30, 12


def demo_recipe_path() -> Path:
    from ecginstruct.manifests import manifests_dir

    return manifests_dir() / "recipes" / DEMO_RECIPE


def write_demo_sources(root: Path) -> Path:
    """Write the demo's PTB-XL and PhysioNet-2021 trees under ``root`` (idempotent)."""
    from ecginstruct.fixtures.physionet2021 import write_physionet2021
    from ecginstruct.fixtures.ptbxl import write_ptbxl
    from ecginstruct.sources.synthetic import SyntheticSource

    root = Path(root)
    if not (root / "ptbxl" / "ptbxl_database.csv").is_file():
        src = SyntheticSource(n_records=N_PTBXL, seed=PTBXL_SEED)
        write_ptbxl(root / "ptbxl", [src.load(r) for r in src.refs()], resolution=(500,))
    pn = root / "physionet2021"
    if not pn.is_dir() or not any(pn.rglob("*.hea")):
        src = SyntheticSource(n_records=N_PN2021, seed=PN2021_SEED)
        recs = [src.load(r) for r in src.refs()]
        for i, rec in enumerate(recs):
            # ids shaped like the challenge's (a subset prefix and a number)
            rec.record_id = f"Q{9000 + i:04d}"
        write_physionet2021(pn, recs)
    return root


def add_parser(subparsers) -> None:
    from ecginstruct.commands.build import add_build_options

    p = subparsers.add_parser(
        "demo",
        help="build the demo dataset (synthetic + generated PTB-XL/PhysioNet-2021 fixtures)",
        description=(
            "Write small PTB-XL- and PhysioNet-2021-format source trees from synthetic ECGs into "
            "OUT/_sources, build manifests/recipes/demo.yaml into OUT (local executor unless "
            "--executor ray), validate it and print where everything is."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_build_options(p, "local")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.commands.build import run_build
    from ecginstruct.recipe import load_recipe
    from ecginstruct.validate import validate

    out = Path(args.out)
    sources = write_demo_sources(out / "_sources")
    recipe = load_recipe(demo_recipe_path(), variables={"DEMO_SOURCES": str(sources.resolve())})
    rc = run_build(recipe, args)
    if rc:
        return rc
    rep = validate(out, decode_sample=4)
    print(rep.render())
    print(
        "\nwhere things are:\n"
        f"  dataset card   {out / 'README.md'}\n"
        f"  shards         {out / 'data'}/\n"
        f"  gallery        {out / 'assets' / 'gallery.png'}\n"
        f"  rejects        {out / 'rejects.jsonl'}\n"
        f"  summary        {out / 'summary.json'}\n"
        f"  demo sources   {sources}/ (ptbxl, physionet2021)\n"
        f"  load it        python -c \"import datasets; print(datasets.load_dataset('{out}'))\"\n"
        f"  export         ecginstruct export {out} --format llava --dest {out}_llava"
    )
    return 0 if rep.ok else 1
