"""MIMIC-IV-ECG machine statements -> harmonised codes through the phrase rules."""

from __future__ import annotations

import csv

import pytest

from ecginstruct.labels import harmonise, harmonise_detailed


def one(line: str):
    return harmonise_detailed("mimic_iv_ecg", {line: None})


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("Sinus rhythm with 1st degree A-V block", ("1AVB", "SR")),
        ("Atrial fibrillation with rapid ventricular response", ("AFIB",)),
        ("Left axis deviation", ("LAD",)),
        ("Abnormal ECG", ("ABNORM",)),
        # "normal except for rate": the rate line says which; PTB-XL also keeps NORM here
        ("Normal ECG except for rate", ("NORM",)),
        ("Otherwise normal ECG", ("NORM",)),
        ("Normal sinus rhythm", ("SR",)),
        ("Marked sinus bradycardia", ("SBRAD",)),
        ("Incomplete right bundle branch block", ("IRBBB",)),
        ("RBBB with left anterior fascicular block", ("LAFB", "RBBB")),
        ("2nd degree A-V block, Mobitz I (Wenckebach)", ("2AVB",)),
        ("Complete heart block", ("3AVB",)),
        ("Atrial-paced rhythm", ("PACE",)),
        ("Wandering atrial pacemaker", ("WAP",)),
        ("Sinus tachycardia with occasional PVCs", ("PVC", "STACH")),
        ("Sinus rhythm with premature atrial complexes", ("PAC", "SR")),
        ("Minimal voltage criteria for LVH, may be normal variant", ("VCLVH",)),
        ("LVH with secondary repolarization abnormality", ("LVH",)),
        ("Nonspecific ST and T wave abnormality", ("NST_", "NT_")),
        ("Anteroseptal infarct, age undetermined", ("ASMI",)),
        ("Inferior infarct, possibly acute", ("IMI",)),
        ("Prolonged QT interval", ("LNGQT",)),
        ("Low QRS voltages in limb leads", ("LVOLT",)),
        ("Biatrial enlargement", ("LAO/LAE", "RAO/RAE")),
    ],
)
def test_phrases(line, codes):
    h = one(line)
    assert h.codes == codes
    assert h.unmapped == ()


def test_uncertain_findings_are_left_out_but_reported():
    h = one("Possible inferior infarct - age undetermined")
    assert h.codes == () and h.uncertain == ("IMI",) and h.unmapped == ()
    h = one("T wave abnormality, consider lateral ischemia")
    assert h.codes == ("TAB_",) and h.uncertain == ("ISCLA",)
    assert one("Cannot rule out anterior infarct").uncertain == ("AMI",)
    assert one("Borderline prolonged QT interval").codes == ()


def test_negation():
    h = one("Atrial fibrillation has replaced sinus rhythm")
    assert h.codes == ("AFIB",) and h.absent == ("SR",)
    h = one("Criteria for inferior infarct are no longer present")
    assert h.codes == () and h.absent == ("IMI",)


def test_administrative_lines_are_understood_and_unknown_lines_kept():
    labels, unmapped = harmonise(
        "mimic_iv_ecg",
        {
            "Sinus rhythm": None,
            "Confirmed by SMITH, J. (123) on 1/2/2180": None,
            "When compared with ECG of 01-JAN-2180": None,
            "Dextrocardia with situs inversus": None,
        },
    )
    assert labels == ("SR",)
    assert unmapped == ["Dextrocardia with situs inversus"]


def test_real_machine_measurements_rows(shared_data):
    with open(shared_data / "mimic_iv_ecg" / "machine_measurements.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        lines = [
            row[f"report_{i}"].strip() for i in range(18) if row.get(f"report_{i}", "").strip()
        ]
        h = harmonise_detailed("mimic_iv_ecg", dict.fromkeys(lines))
        assert h.unmapped == (), h.unmapped
    # study 40689238: "Sinus rhythm", "Possible right atrial abnormality", "Borderline ECG"
    assert h.codes == ("BORDER", "SR")
    assert h.uncertain == ("RAO/RAE",)
