"""The synthetic source: numbered, labelled 12-lead ECGs made on the fly by the dipole generator
(:mod:`ecginstruct.synthetic`). Nothing is read from disk; ``root`` is ignored.

Record ``syn-%08d`` is a pure function of (seed, record id): its conditions and signal come from
``rng_for(seed, record_id, "synthetic")`` and its patient's heart orientation, voltages, age and
sex from ``rng_for(seed, patient_id, "synthetic-patient")``, so loading order never matters.
Records come in blocks of four: the first two belong to one patient, the next two to one patient
each, so a third of the patients have two records (something for split-leakage checks to catch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ecginstruct.seeding import rng_for
from ecginstruct.synthetic.conditions import draw_conditions, parse_mix
from ecginstruct.synthetic.generator import (
    MAX_DURATION_S,
    MAX_FS,
    MIN_DURATION_S,
    MIN_FS,
    simulate_record,
)
from ecginstruct.synthetic.morphology import draw_anatomy
from ecginstruct.types import ConfigError, Demographics, ECGRecord, RecordNotFound, RecordRef

_ID = re.compile(r"syn-(\d{8})")
# record index within its block of 4 -> patient offset within the block's 3 patients
_PATIENT_OF = (0, 0, 1, 2)


def patient_index(index: int) -> int:
    """The patient number of record ``index`` (records 4b and 4b+1 share patient 3b)."""
    block, j = divmod(int(index), 4)
    return 3 * block + _PATIENT_OF[j]


class SyntheticSource:
    """``n_records`` synthetic ECGs ``syn-00000000`` ... with a seeded condition mix.

    ``conditions`` weights the mix: ``{"NORM": 3, "AFIB": 1, "AFIB+RBBB": 1}`` (keys are codes
    joined by ``+``, each an exact combination; the rhythm defaults to SR). ``None`` uses
    :data:`ecginstruct.synthetic.DEFAULT_MIX`.
    """

    name = "synthetic"

    def __init__(
        self,
        root=None,
        n_records: int = 1000,
        seed: int = 0,
        fs: float = 500.0,
        duration_s: float = 10.0,
        conditions: Mapping[str, float] | None = None,
    ):
        try:
            self.n_records = int(n_records)
            self.seed = int(seed)
            self.fs = float(fs)
            self.duration_s = float(duration_s)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"synthetic source: bad option ({e})") from None
        if self.n_records < 0:
            raise ConfigError(f"synthetic source: n_records={n_records} must be >= 0")
        if not MIN_FS <= self.fs <= MAX_FS:
            raise ConfigError(f"synthetic source: fs={fs} must be in [{MIN_FS:g}, {MAX_FS:g}]")
        if not MIN_DURATION_S <= self.duration_s <= MAX_DURATION_S:
            raise ConfigError(
                f"synthetic source: duration_s={duration_s} must be in "
                f"[{MIN_DURATION_S:g}, {MAX_DURATION_S:g}]"
            )
        self.root = root
        self.conditions = dict(conditions) if conditions is not None else None
        self._combos, self._probs = parse_mix(self.conditions)

    def _ref(self, index: int) -> RecordRef:
        return RecordRef(
            source=self.name,
            record_id=f"syn-{index:08d}",
            patient_id=f"synp-{patient_index(index):08d}",
            extra={"index": index},
        )

    def refs(self) -> Iterator[RecordRef]:
        for i in range(self.n_records):
            yield self._ref(i)

    def _index(self, record_id: str) -> int:
        m = _ID.fullmatch(str(record_id))
        if m is None:
            raise RecordNotFound(
                self.name, str(record_id), "not a synthetic record id (expected syn-NNNNNNNN)"
            )
        index = int(m.group(1))
        if index >= self.n_records:
            raise RecordNotFound(
                self.name, str(record_id), f"index {index} >= n_records={self.n_records}"
            )
        return index

    def load(self, ref: RecordRef) -> ECGRecord:
        index = self._index(ref.record_id)
        ref = self._ref(index)
        patient = rng_for(self.seed, ref.patient_id, "synthetic-patient")
        anatomy = draw_anatomy(patient)
        age = int(patient.integers(18, 89))
        sex = str(patient.choice(["M", "F"]))
        if index % 4 == 1:  # the patient's second ECG, 0-2 years later
            age += int(patient.integers(0, 3))
        rng = rng_for(self.seed, ref.record_id, "synthetic")
        return simulate_record(
            rng,
            draw_conditions(rng, self._combos, self._probs),
            record_id=ref.record_id,
            source=self.name,
            patient_id=ref.patient_id,
            fs=self.fs,
            duration_s=self.duration_s,
            anatomy=anatomy,
            demographics=Demographics(age=float(age), sex=sex),
        )

    def load_id(self, record_id: str) -> ECGRecord:
        return self.load(RecordRef(self.name, str(record_id)))
