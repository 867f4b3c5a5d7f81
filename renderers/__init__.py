"""Signal -> page: the printed-paper ECG renderer (OpenCV on a numpy canvas).

``render_page(record, spec, rng)`` (or ``PaperRenderer().render``) prints a record as a clinical
ECG page and returns a :class:`ecginstruct.types.Page` carrying its ground truth;
:class:`RenderSpec` says how; ``renderers.encode`` writes PNG/JPEG bytes and
``renderers.digitize`` reads a page back. See docs/rendering.md.
"""

from renderers.page import PaperRenderer, render_page
from renderers.spec import RenderSpec

__all__ = ["PaperRenderer", "RenderSpec", "render_page"]
