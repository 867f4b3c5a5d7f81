"""PhysioNet/CinC Challenge 2021: any tree of ``.hea`` + ``.mat`` (WFDB format 16 inside a MATLAB
v4 file, variable ``val``), with ``# Age:``, ``# Sex:`` and ``# Dx:`` (SNOMED CT codes) comments.

The challenge merged CPSC 2018 (+ extra), INCART, PTB, PTB-XL, Georgia (G12EC), Chapman-Shaoxing
and Ningbo; the record id's letter prefix says which (``meta["subset"]``). The format has no
patient ids, so ``patient_id`` is the record id.
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections import Counter
from functools import lru_cache

from ecginstruct.manifests import manifests_dir
from ecginstruct.sources.base import find_ref, make_record, standardise
from ecginstruct.sources.wfdb_dir import age_sex_from_comments, check_root, read_signal
from ecginstruct.types import BadLabel, ECGRecord, RecordRef

# Record-id letter prefix -> the database the challenge took the record from.
SUBSETS = {
    "A": "CPSC",
    "Q": "CPSC-extra",
    "I": "INCART",
    "S": "PTB",
    "HR": "PTB-XL",
    "E": "G12EC",
    "JS": "Chapman-Shaoxing/Ningbo",
}
_PREFIX = re.compile(r"^([A-Za-z]+)\d")
_DX = re.compile(r"^\s*dx\s*:\s*(.*)$", re.IGNORECASE)


@lru_cache(maxsize=1)
def snomed_table() -> dict[str, tuple[str, str]]:
    """``manifests/snomed_ct.csv`` as {code: (abbreviation, name)}."""
    with open(manifests_dir() / "snomed_ct.csv", newline="", encoding="utf-8") as f:
        return {r["snomed_code"]: (r["abbreviation"], r["name"]) for r in csv.DictReader(f)}


def subset_of(record_id: str) -> str | None:
    """The challenge subset of a record id (``"E07500"`` -> ``"G12EC"``), None if unknown."""
    m = _PREFIX.match(posixpath.basename(record_id))
    return SUBSETS.get(m.group(1).upper()) if m else None


def dx_codes(comments, *, source: str, record_id: str) -> list[str] | None:
    """SNOMED codes of the ``Dx:`` comment (None when there is no such line)."""
    for c in comments or []:
        if m := _DX.match(c):
            codes = [t.strip() for t in m.group(1).split(",") if t.strip()]
            bad = [t for t in codes if not t.isdigit()]
            if bad:
                raise BadLabel(source, record_id, f"Dx value(s) {bad} are not SNOMED CT codes")
            return list(dict.fromkeys(codes))
    return None


class PhysioNet2021Source:
    """Every ``.hea`` record under ``root`` (any depth), read with ``wfdb.rdrecord``."""

    name = "physionet2021"

    def __init__(self, root=None):
        self.root = check_root(root, self.name)
        self._refs: list[RecordRef] | None = None

    def refs(self) -> list[RecordRef]:
        """One ref per header file, sorted by id. The id is the file stem; a stem found in two
        folders is prefixed with its folder (``g1/E00001``) so that ids stay unique."""
        if self._refs is None:
            rels = [p.relative_to(self.root).as_posix()[:-4] for p in self.root.rglob("*.hea")]
            stems = Counter(posixpath.basename(r) for r in rels)
            refs = []
            for rel in rels:
                stem = posixpath.basename(rel)
                rid = stem if stems[stem] == 1 else rel
                refs.append(RecordRef(self.name, rid, patient_id=rid, extra={"path": rel}))
            self._refs = sorted(refs, key=lambda r: r.record_id)
        return list(self._refs)

    def load(self, ref: RecordRef) -> ECGRecord:
        if "path" not in ref.extra:
            ref = find_ref(self.refs(), ref.record_id, source=self.name)
        rid, rel = ref.record_id, ref.extra["path"]
        channels, names, fs, header = read_signal(self.root, rel, source=self.name, record_id=rid)
        signal, fs, meta = standardise(channels, names, fs, source=self.name, record_id=rid)
        codes = dx_codes(header.comments, source=self.name, record_id=rid)
        table = snomed_table()
        meta["subset"] = subset_of(rid)
        meta["path"] = rel
        if codes is None:
            meta["note"] = "header has no Dx line"
        meta["dx"] = [
            {"code": c, "abbreviation": table[c][0], "name": table[c][1]}
            for c in codes or []
            if c in table
        ]
        unknown = [c for c in codes or [] if c not in table]
        if unknown:
            meta["unknown_snomed_codes"] = unknown
        return make_record(
            source=self.name,
            record_id=rid,
            signal=signal,
            fs=fs,
            source_labels={c: None for c in codes or []},
            patient_id=rid,
            demographics=age_sex_from_comments(header.comments),
            meta=meta,
        )

    def load_id(self, record_id: str) -> ECGRecord:
        return self.load(find_ref(self.refs(), record_id, source=self.name))
