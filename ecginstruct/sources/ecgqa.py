"""ECG-QA (Oh et al., NeurIPS 2023): question/answer pairs over PTB-XL (and MIMIC-IV-ECG) ECGs.

The repository holds JSON lists of QA items::

    ecgqa/ptbxl/template/{train,valid,test}/*.json
    ecgqa/ptbxl/paraphrased/{train,valid,test}/*.json
    ecgqa/mimic-iv-ecg/{template,paraphrased}/{train,valid,test}/*.json

each item ``{template_id, question_id, sample_id, question_type, attribute_type, question,
answer: [...], ecg_id: [one or two ids], attribute}``. Every ``**/*.json`` under ``root`` is read,
so the real layout and a flat folder of JSON lists both work; files that are not QA lists are
skipped and listed in :attr:`ECGQASource.notes`. The split comes from the nearest ``train`` /
``valid`` / ``test`` folder (or the item's ``_source_file`` when present), the variant from a
``template`` / ``paraphrased`` folder: one variant is read at a time (``style=``) because both
share sample ids.

One ref per QA item: ``record_id = "ecgqa-<sample_id>"`` (``"ecgqa-mimic-<sample_id>"`` for the
MIMIC-IV-ECG part). ``load`` returns the first ECG's record as the PTB-XL (or MIMIC-IV-ECG)
source gives it, renamed to the QA record id, with ``meta["ecgqa"]`` = the QA item; a comparison
question's second ECG is ``meta["paired_record"]`` (drawn as "ECG 2" below "ECG 1").
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from pathlib import Path, PurePosixPath

import pandas as pd

from ecginstruct.sources.base import find_ref
from ecginstruct.types import (
    ConfigError,
    CorruptRecord,
    ECGRecord,
    RecordError,
    RecordNotFound,
    RecordRef,
)

NAME = "ecgqa"
QA_KEYS = ("sample_id", "question", "answer", "ecg_id")
SPLITS = {"train": "train", "valid": "valid", "val": "valid", "validation": "valid", "test": "test"}
STYLES = ("template", "paraphrased")
# How many parsed JSON files ``load`` keeps (the executor walks refs file by file).
_FILE_CACHE = 2


def _is_qa_list(data) -> bool:
    return (
        isinstance(data, list)
        and len(data) > 0
        and isinstance(data[0], dict)
        and all(k in data[0] for k in QA_KEYS)
    )


def describe_path(path: str) -> dict:
    """Split, variant and ECG dataset implied by a (relative) path's folder names."""
    pure = PurePosixPath(path)
    parts = [p.lower() for p in pure.parts[:-1]]
    # the nearest train/valid/test folder, or the file name itself (older layout: train.json)
    split = next((SPLITS[p] for p in reversed([*parts, pure.stem.lower()]) if p in SPLITS), None)
    style = next((p for p in reversed(parts) if p in STYLES), None)
    dataset = "mimic" if any(p.startswith("mimic") for p in parts) else "ptbxl"
    return {"split": split, "style": style, "dataset": dataset}


class ECGQASource:
    """ECG-QA joined to local ECG copies.

    ``ECGQASource(root, ptbxl_root, resolution=500, mimic_root=None, style="template")``:
    ``root`` holds the ECG-QA JSON files, ``ptbxl_root`` the PTB-XL folder (``resolution`` 500 or
    100 picks records500/records100), ``mimic_root`` MIMIC-IV-ECG for the MIMIC part.
    """

    name = NAME

    def __init__(
        self,
        root,
        ptbxl_root=None,
        resolution: int = 500,
        mimic_root=None,
        *,
        style: str = "template",
    ):
        if root is None:
            raise ConfigError("source ecgqa needs root= (the ECG-QA folder with the JSON files)")
        if style not in STYLES:
            raise ConfigError(f"ecgqa style must be one of {', '.join(STYLES)}, not {style!r}")
        self.root = Path(root)
        self.ptbxl_root = Path(ptbxl_root) if ptbxl_root is not None else None
        self.mimic_root = Path(mimic_root) if mimic_root is not None else None
        self.resolution = int(resolution)
        self.style = style
        self.notes: list[str] = []
        self._refs: list[RecordRef] | None = None
        self._by_id: dict[str, RecordRef] | None = None
        self._ecg_sources: dict[str, object] = {}
        self._files: OrderedDict[str, list] = OrderedDict()

    def __getstate__(self) -> dict:
        # parsed JSON and the index are caches, not state: workers re-read what they need
        return {**self.__dict__, "_files": OrderedDict(), "_refs": None, "_by_id": None}

    # -- QA files ------------------------------------------------------------------------------

    def _json_files(self) -> list[Path]:
        if self.root.is_file():
            return [self.root]
        return sorted(self.root.rglob("*.json"))

    def _rel(self, path: Path) -> str:
        return path.name if self.root.is_file() else path.relative_to(self.root).as_posix()

    def _read(self, rel: str) -> list | None:
        """The parsed QA list of a file (cached), or None when it is not a QA file."""
        if rel in self._files:
            self._files.move_to_end(rel)
            return self._files[rel]
        path = self.root if self.root.is_file() else self.root / rel
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            self.notes.append(f"skipped {rel}: not readable JSON ({e})")
            return None
        if not _is_qa_list(data):
            self.notes.append(f"skipped {rel}: not a list of ECG-QA items")
            return None
        self._files[rel] = data
        while len(self._files) > _FILE_CACHE:
            self._files.popitem(last=False)
        return data

    def refs(self) -> list[RecordRef]:
        """One ref per QA item of the chosen style, sorted (PTB-XL part first) by sample id.

        Items that lack a key, have a bad ``ecg_id`` or repeat a sample id get a ref whose
        ``load`` raises :class:`CorruptRecord` (never silently dropped).
        """
        if self._refs is not None:
            return list(self._refs)
        good: dict[str, tuple[tuple, RecordRef]] = {}
        bad: list[RecordRef] = []
        for path in self._json_files():
            rel = self._rel(path)
            items = self._read(rel)
            if items is None:
                continue
            # the root's own folder name counts too (root = .../ptbxl/template/train works)
            where = describe_path(f"{self.root.name}/{rel}")
            for i, item in enumerate(items):
                info = dict(where)
                if isinstance(item, dict) and isinstance(item.get("_source_file"), str):
                    src = describe_path(item["_source_file"])
                    info = {k: src[k] or where[k] for k in where}
                if info["style"] not in (None, self.style):
                    continue
                extra = {
                    "file": rel,
                    "index": i,
                    "split": info["split"],
                    "dataset": info["dataset"],
                }
                error = _item_error(item)
                if error is None:
                    sid = int(item["sample_id"])
                    prefix = "ecgqa-mimic-" if info["dataset"] == "mimic" else "ecgqa-"
                    rid = f"{prefix}{sid}"
                    if rid in good:
                        first = good[rid][1].extra["file"]
                        error = f"sample_id {sid} repeated (first in {first})"
                if error is not None:
                    extra["error"] = f"{rel} item {i}: {error}"
                    bad.append(RecordRef(NAME, f"ecgqa-bad-{rel}#{i}", None, extra))
                    continue
                extra["ecg_id"] = [int(e) for e in item["ecg_id"]]
                key = (info["dataset"] == "mimic", sid)
                good[rid] = (key, RecordRef(NAME, rid, None, extra))
        self._fill_patients([r for _, r in good.values()])
        self._refs = [r for _, r in sorted(good.values(), key=lambda t: t[0])] + bad
        return list(self._refs)

    def _fill_patients(self, refs: list[RecordRef]) -> None:
        """patient_id = the patient of the first ECG, from the index files (no signal read)."""
        if any(r.extra["dataset"] == "ptbxl" for r in refs):
            patients = self._ptbxl_patients()
            for r in refs:
                if r.extra["dataset"] == "ptbxl":
                    r.patient_id = patients.get(r.extra["ecg_id"][0])
        if any(r.extra["dataset"] == "mimic" for r in refs) and self.mimic_root is not None:
            mimic_refs = self._ecg_source("mimic").refs()
            subjects = {int(x.record_id): x.patient_id for x in mimic_refs if x.record_id.isdigit()}
            for r in refs:
                if r.extra["dataset"] == "mimic":
                    r.patient_id = subjects.get(r.extra["ecg_id"][0])

    def _ptbxl_patients(self) -> dict[int, str]:
        if self.ptbxl_root is None:
            raise ConfigError("source ecgqa needs ptbxl_root= for the PTB-XL part of ECG-QA")
        path = self.ptbxl_root / "ptbxl_database.csv"
        try:
            df = pd.read_csv(path, usecols=["ecg_id", "patient_id"])
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read PTB-XL index {path}: {e}") from e
        df = df.dropna()
        return {int(e): str(int(p)) for e, p in zip(df["ecg_id"], df["patient_id"])}

    def load_id(self, record_id) -> ECGRecord:
        # a dict, not base.find_ref's linear scan (large indexes)
        if self._by_id is None:
            self._by_id = {r.record_id: r for r in self.refs()}
        ref = self._by_id.get(str(record_id))
        return self.load(ref or find_ref((), str(record_id), source=NAME))

    # -- ECGs ----------------------------------------------------------------------------------

    def _ecg_source(self, dataset: str):
        if dataset not in self._ecg_sources:
            if dataset == "ptbxl":
                if self.ptbxl_root is None:
                    raise ConfigError("source ecgqa needs ptbxl_root= for the PTB-XL part")
                from ecginstruct.sources.ptbxl import PTBXLSource

                src = PTBXLSource(self.ptbxl_root, resolution=self.resolution)
            else:
                if self.mimic_root is None:
                    raise ConfigError("source ecgqa needs mimic_root= for the MIMIC-IV-ECG part")
                from ecginstruct.sources.mimic_iv_ecg import MimicIVECGSource

                src = MimicIVECGSource(self.mimic_root)
            self._ecg_sources[dataset] = src
        return self._ecg_sources[dataset]

    def _ecg(self, ecg_id: int, ref: RecordRef, sample_id) -> ECGRecord:
        dataset = ref.extra["dataset"]
        label = "PTB-XL ecg_id" if dataset == "ptbxl" else "MIMIC-IV-ECG study_id"
        try:
            return self._ecg_source(dataset).load_id(str(ecg_id))
        except RecordError as e:
            # Re-raise under the QA record's id, naming both the QA sample and the ECG.
            raise type(e)(
                NAME, ref.record_id, f"QA sample {sample_id}: {label} {ecg_id}: {e.reason}"
            ) from e

    def load(self, ref: RecordRef) -> ECGRecord:
        rid = ref.record_id
        if "error" in ref.extra:
            raise CorruptRecord(NAME, rid, ref.extra["error"])
        items = self._read(ref.extra["file"])
        index = ref.extra["index"]
        if items is None or index >= len(items):
            raise RecordNotFound(NAME, rid, f"item {index} of {ref.extra['file']} is gone")
        item = items[index]
        ids = ref.extra["ecg_id"]
        first = self._ecg(ids[0], ref, item["sample_id"])
        meta = dict(first.meta)
        meta["ecgqa"] = {
            "question": item["question"],
            "answer": list(item["answer"]),
            "question_type": item.get("question_type"),
            "attribute_type": item.get("attribute_type"),
            "attribute": item.get("attribute"),
            "template_id": item.get("template_id"),
            "question_id": item.get("question_id"),
            "sample_id": item["sample_id"],
            "ecg_id": list(ids),
            "split": ref.extra["split"],
            "style": self.style,
        }
        meta["ecg_source"] = first.source
        meta["ecg_record_id"] = first.record_id
        if len(ids) == 2:
            meta["paired_record"] = self._ecg(ids[1], ref, item["sample_id"])
        return dataclasses.replace(
            first,
            record_id=rid,
            source=NAME,
            patient_id=ref.patient_id or first.patient_id,
            meta=meta,
        )


def _item_error(item) -> str | None:
    """Why a QA item cannot be used, or None."""
    if not isinstance(item, dict):
        return "not a JSON object"
    missing = [k for k in QA_KEYS if k not in item]
    if missing:
        return f"missing key(s) {', '.join(missing)}"
    sid = item["sample_id"]
    if isinstance(sid, bool) or not str(sid).isdigit():
        return f"sample_id {sid!r} is not a non-negative integer"
    ids = item["ecg_id"]
    if not isinstance(ids, list) or len(ids) not in (1, 2):
        return f"ecg_id must be a list of 1 or 2 ids, got {ids!r}"
    if any(isinstance(e, bool) or not str(e).isdigit() for e in ids):
        return f"ecg_id {ids!r} holds a non-integer id"
    if not isinstance(item["answer"], list):
        return f"answer must be a list, got {item['answer']!r}"
    return None
