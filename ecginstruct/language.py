"""Which language an ECG report is written in (PTB-XL mixes German and English reports).

A small deterministic heuristic, not a model: count the words that only one of the two languages
uses in ECG reports (plus German spelling clues: umlauts, ß, typical endings). Words both languages
share in this jargon ("normal", "abnormal", "st", "av", "qrs") count for neither. When neither side
wins, or the text is empty, the answer is ``None`` -- better unknown than a wrong tag.
"""

from __future__ import annotations

import re

# Words seen in German ECG reports (PTB-XL's machine and cardiologist statements) but not English.
GERMAN_WORDS = frozenset(
    """
    sinusrhythmus sinustachykardie sinusbradykardie sinusarrhythmie vorhofflimmern vorhofflattern
    lagetyp linkstyp rechtstyp steiltyp indifferenztyp horizontaltyp überdrehter ueberdrehter
    linksschenkelblock rechtsschenkelblock schenkelblock inkompletter kompletter kompletten
    linksanteriorer hemiblock verbreiterung p-verbreiterung niederspannung periphere periphere
    sonst normales normaler normale ekg unbestätigter unbestaetigter bericht befund
    verdacht auf und oder nicht mit bei ohne keine kein eine einer einem des der die das im
    vorderwand hinterwand seitenwand septal infarkt vorderwandinfarkt hinterwandinfarkt
    ischämie ischaemie möglich moeglich wahrscheinlich vermutlich alter älterer frischer
    ventrikuläre ventrikulaere supraventrikuläre supraventrikulaere extrasystole extrasystolen
    extrasystolie repolarisationsstörung erregungsrückbildungsstörung erregungsrueckbildungsstoerung
    linksventrikuläre linksventrikulaere rechtsventrikuläre hypertrophie linkshypertrophie
    vorhof vorhöfe grades ersten zweiten dritten schrittmacher schrittmacherrhythmus
    pathologisch pathologische grenzwertig grenzwertiges unspezifische unspezifisch abflachung
    negative negatives t-negativierung senkung hebung st-senkung st-hebung zeichen spricht für
    """.split()
)

# Words seen in English ECG reports but not German ones.
ENGLISH_WORDS = frozenset(
    """
    sinus rhythm tachycardia bradycardia arrhythmia fibrillation flutter atrial ventricular
    otherwise ecg the of with and or not no possible probable consider likely borderline
    left right axis deviation bundle branch block incomplete complete fascicular anterior
    posterior inferior lateral anteroseptal septal infarct infarction age undetermined old
    recent ischemia ischemic injury hypertrophy enlargement voltage low high criteria wave waves
    flattening inversion inverted changes change non-specific nonspecific minor may be is
    physiological premature complexes complex beats beat contractions paced pacemaker rhythm
    depression elevation prolonged interval unconfirmed report normal-ecg degree first second
    third heart rate suggests compatible consistent edit
    """.split()
)

_GERMAN_ENDINGS = ("ung", "typ", "ierung", "keit", "lich", "kardie")
_TOKEN = re.compile(r"[a-zäöüß][a-zäöüß\-']*", re.IGNORECASE)


def language_scores(text: str | None) -> tuple[int, int]:
    """(German evidence, English evidence) counted over the words of ``text``."""
    if not text:
        return 0, 0
    de = en = 0
    for tok in _TOKEN.findall(text.lower()):
        tok = tok.strip("-'")
        if not tok:
            continue
        in_de, in_en = tok in GERMAN_WORDS, tok in ENGLISH_WORDS
        if in_de and not in_en:
            de += 1
        elif in_en and not in_de:
            en += 1
        elif not in_de and not in_en:
            # Unlisted words still give a hint through German spelling.
            if re.search(r"[äöüß]", tok) or (len(tok) > 5 and tok.endswith(_GERMAN_ENDINGS)):
                de += 1
    return de, en


def detect_language(text: str | None) -> str | None:
    """``"de"``, ``"en"`` or ``None`` (empty text, no evidence, or a tie)."""
    de, en = language_scores(text)
    if de > en:
        return "de"
    if en > de:
        return "en"
    return None
