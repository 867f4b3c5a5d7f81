"""Checks a built folder before anyone trains on it or publishes it.

``validate(out)`` returns a :class:`ValidationReport`; ``ecginstruct validate OUT`` prints it and
exits non-zero when anything is wrong. Checks:

* layout -- plan.json, one Parquet file and one completion marker per planned shard, nothing else
  in data/;
* schema -- every shard has the column contract's Arrow schema and the Hugging Face features in
  its metadata (so ``load_dataset`` decodes images), and ``load_dataset`` opens the folder;
* counts -- rows per shard = marker rows; rows + rejects = planned units; rejects.jsonl and
  summary.json agree (input = written + rejected); sample ids are unique;
* decodability -- images decode (all, or ``decode_sample`` per shard), conversations are LLaVA
  form (``<image>`` first, human/gpt turns), JSON columns parse;
* split leakage -- no patient (within its patient namespace) and no record in two splits;
* exclusions -- no row is a record of exclusions.csv or of the extra ``exclude`` files.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from ecginstruct.exclusions import load_exclusions
from ecginstruct.shards import DATA_DIR, JSON_COLUMNS, read_marker, schema, shard_path
from ecginstruct.splits import namespace_for
from ecginstruct.types import RecordRef

MAX_LISTED = 20  # problems listed per check (the count is always complete)


@dataclass
class ValidationReport:
    out: Path
    problems: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def add(self, check: str, msg: str) -> None:
        self.problems.setdefault(check, []).append(msg)

    def render(self) -> str:
        lines = [f"validate {self.out}"]
        for c in self.checks:
            probs = self.problems.get(c, [])
            lines.append(
                f"  {'OK  ' if not probs else 'FAIL'} {c}" + (f" ({len(probs)})" if probs else "")
            )
            for p in probs[:MAX_LISTED]:
                lines.append(f"         - {p}")
            if len(probs) > MAX_LISTED:
                lines.append(f"         ... and {len(probs) - MAX_LISTED} more")
        lines.append("  " + ", ".join(f"{k}: {v:,}" for k, v in self.counts.items()))
        lines.append("valid" if self.ok else "INVALID")
        return "\n".join(lines)


CHECKS = ("layout", "schema", "counts", "decode", "leakage", "exclusions")


def _decode_image(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.size


def _check_row(row: dict, rep: ValidationReport, decode: bool) -> None:
    rid = row["id"]
    conv = row["conversations"] or []
    if len(conv) < 2 or conv[0]["from"] != "human" or not conv[0]["value"].startswith("<image>"):
        rep.add("decode", f"{rid}: conversation must start with a human turn beginning '<image>'")
    elif any(t["from"] not in ("human", "gpt") or not t["value"] for t in conv):
        rep.add("decode", f"{rid}: turns must be human/gpt with non-empty values")
    for c in JSON_COLUMNS:
        try:
            json.loads(row[c])
        except (TypeError, ValueError):
            rep.add("decode", f"{rid}: column {c} is not valid JSON")
    if decode:
        img = row["image"] or {}
        try:
            _decode_image(img.get("bytes") or b"")
        except Exception as e:  # noqa: BLE001 -- PIL raises many types on bad bytes
            rep.add("decode", f"{rid}: image does not decode ({type(e).__name__})")


def validate(
    out: str | Path, *, exclude: list[str] = (), decode_sample: int | None = None, hf: bool = True
) -> ValidationReport:
    """Check ``out`` (see module doc). ``decode_sample``: decode only the first N images of each
    shard (None: all). ``hf``: also open the folder with ``datasets.load_dataset``."""
    out = Path(out)
    rep = ValidationReport(out, checks=list(CHECKS))
    try:
        plan = json.loads((out / "plan.json").read_text())
    except (OSError, ValueError) as e:
        rep.add("layout", f"plan.json missing or unreadable ({e}); is this a build folder?")
        return rep
    ns_of = {s["source_id"]: s.get("patient_namespace") or s["source"] for s in plan["sources"]}
    planned = {s["name"]: s["units"] for s in plan["shards"]}
    present = {p.name[: -len(".parquet")] for p in (out / DATA_DIR).glob("*.parquet")}
    for name in sorted(present - set(planned)):
        rep.add("layout", f"{DATA_DIR}/{name}.parquet is not in the plan")
    exclusions = load_exclusions(
        [p for p in [out / "exclusions.csv"] if p.is_file()] + list(exclude)
    )
    want_schema = schema()
    patient_splits: dict[tuple[str, str], set[str]] = defaultdict(set)
    record_splits: dict[tuple[str, str], set[str]] = defaultdict(set)
    ids: Counter = Counter()
    written = rejected = 0
    for name, units in planned.items():
        path = shard_path(out, name)
        marker = read_marker(out, name)
        if not path.is_file():
            rep.add("layout", f"shard {name} is missing (build not finished? rerun the build)")
            continue
        if marker is None:
            rep.add("layout", f"shard {name} has no valid completion marker")
            continue
        pf = pq.ParquetFile(path)
        got = pf.schema_arrow
        if not got.remove_metadata().equals(want_schema.remove_metadata()):
            rep.add("schema", f"{name}: schema differs from the column contract")
            continue
        if b"huggingface" not in (got.metadata or {}):
            rep.add("schema", f"{name}: no Hugging Face features in the Parquet metadata")
        n = pf.metadata.num_rows
        written += n
        rejected += len(marker["rejects"])
        if n != marker["rows"]:
            rep.add("counts", f"{name}: {n} rows but its marker says {marker['rows']}")
        if n + len(marker["rejects"]) != units:
            rep.add(
                "counts", f"{name}: {n} rows + {len(marker['rejects'])} rejects != {units} units"
            )
        split = name.split("-", 1)[0]
        seen = 0
        for batch in pf.iter_batches(batch_size=64):
            for row in batch.to_pylist():
                ids[row["id"]] += 1
                decode = decode_sample is None or seen < decode_sample
                seen += 1
                _check_row(row, rep, decode)
                if row["split"] != split:
                    rep.add("leakage", f"{row['id']}: split column {row['split']!r} in {name}")
                try:
                    meta = json.loads(row["meta"])
                except (TypeError, ValueError):
                    meta = {}
                sid = meta.get("source_id", row["source"])
                ns = ns_of.get(sid) or namespace_for(row["source"])
                if row["patient_id"]:
                    patient_splits[(ns, row["patient_id"])].add(split)
                record_splits[(row["source"], row["record_id"])].add(split)
                extra = {}
                qa = (meta.get("record") or {}).get("ecgqa") or {}
                if isinstance(qa, dict) and qa.get("ecg_id") is not None:
                    extra["ecg_id"] = qa["ecg_id"]
                hit = exclusions.match(
                    RecordRef(row["source"], row["record_id"], row["patient_id"], extra)
                )
                if hit is not None:
                    rep.add(
                        "exclusions",
                        f"{row['id']}: record {row['source']}:{row['record_id']} is excluded "
                        f"({hit.reason or hit.source})",
                    )
    dup = [i for i, c in ids.items() if c > 1]
    for i in dup:
        rep.add("counts", f"sample id {i} appears {ids[i]} times")
    for (ns, pid), sp in sorted(patient_splits.items()):
        if len(sp) > 1:
            rep.add("leakage", f"patient {ns}:{pid} is in splits {sorted(sp)}")
    for (src, rid), sp in sorted(record_splits.items()):
        if len(sp) > 1:
            rep.add("leakage", f"record {src}:{rid} is in splits {sorted(sp)}")
    _check_totals(out, rep, written, rejected)
    if hf and not rep.problems.get("schema") and not rep.problems.get("layout"):
        _check_load_dataset(out, rep)
    rep.counts = {
        "shards": len(planned),
        "written": written,
        "rejected": rejected,
        "patients": len(patient_splits),
    }
    return rep


def _check_totals(out: Path, rep: ValidationReport, written: int, rejected: int) -> None:
    rj = out / "rejects.jsonl"
    if not rj.is_file():
        rep.add("counts", "rejects.jsonl is missing")
    else:
        n = sum(1 for ln in rj.read_text().splitlines() if ln.strip())
        if n != rejected:
            rep.add("counts", f"rejects.jsonl has {n} lines, the shard markers {rejected} rejects")
    sm = out / "summary.json"
    if sm.is_file():
        s = json.loads(sm.read_text())
        if (s.get("written"), s.get("rejected")) != (written, rejected):
            rep.add(
                "counts",
                f"summary.json says {s.get('written')} written / "
                f"{s.get('rejected')} rejected; the shards hold {written} / {rejected}",
            )
        if s.get("input") != s.get("written", 0) + s.get("rejected", 0):
            rep.add("counts", "summary.json: input != written + rejected")
    else:
        rep.add("counts", "summary.json is missing")


def _check_load_dataset(out: Path, rep: ValidationReport) -> None:
    """``load_dataset(out)`` must open the folder as-is and decode an image."""
    try:
        from datasets import load_dataset

        ds = load_dataset(str(out), streaming=True)
        for it in ds.values():
            for row in it.take(1):
                row["image"].size  # noqa: B018 -- decoding is the check
                break
    except Exception as e:  # noqa: BLE001 -- report whatever datasets raised
        rep.add("schema", f"datasets.load_dataset cannot open the folder: {type(e).__name__}: {e}")
