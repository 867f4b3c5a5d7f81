"""Harmonised condition labels.

``harmonise(source, source_labels)`` maps a source's own codes (SCP-ECG statements, SNOMED CT
concepts, CPSC 2018 / CODE-15% classes, MIMIC-IV-ECG machine statements) onto one vocabulary of
conditions, each with a clinical name and a category. Everything is declared in
``manifests/labels/`` (``vocabulary.yaml`` plus one mapping file per source family), read once
and validated. Unknown codes are kept raw and counted, never dropped. See ``docs/labels.md``.
"""

from __future__ import annotations

from ecginstruct.labels.harmonise import (
    Harmonised,
    UnmappedCounter,
    count_unmapped,
    harmonise,
    harmonise_detailed,
)
from ecginstruct.labels.mappings import families, mapping_table
from ecginstruct.labels.vocabulary import (
    CATEGORIES,
    LabelInfo,
    codes_in_category,
    label_info,
    vocabulary,
)

__all__ = [
    "CATEGORIES",
    "Harmonised",
    "LabelInfo",
    "UnmappedCounter",
    "codes_in_category",
    "count_unmapped",
    "families",
    "harmonise",
    "harmonise_detailed",
    "label_info",
    "mapping_table",
    "vocabulary",
]
