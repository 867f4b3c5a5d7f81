"""The one place that imports albumentations (2.x).

Two import-time side effects of albumentations are switched off here, before its first import:

* it asks PyPI for a newer version unless ``NO_ALBUMENTATIONS_UPDATE`` is set -- the toolkit
  never touches the network at run time;
* its package ``__init__`` star-imports its PyTorch helpers (``ToTensorV2``), which import torch:
  +235 MB resident and ~2 s per worker process for nothing augment uses. A ``None`` entry in
  ``sys.modules`` makes that one import raise ImportError, which albumentations suppresses; the
  entry is removed afterwards, so an explicit ``import albumentations.pytorch`` still works.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

if "albumentations" not in sys.modules and "albumentations.pytorch" not in sys.modules:
    sys.modules["albumentations.pytorch"] = None  # type: ignore[assignment]
    try:
        import albumentations  # noqa: F401
    finally:
        del sys.modules["albumentations.pytorch"]

import albumentations as A  # noqa: E402
from albumentations.augmentations.blur import functional as fblur  # noqa: E402
from albumentations.augmentations.pixel import functional as fpixel  # noqa: E402

__all__ = ["A", "fblur", "fpixel"]
