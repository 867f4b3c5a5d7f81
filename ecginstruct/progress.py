"""Progress bar (tqdm: samples/s, shards done, ETA) and the final plain-text summary table."""

from __future__ import annotations

import sys
from collections.abc import Sequence


class Progress:
    """Counts samples (units) and shards; a no-op when ``enabled`` is False."""

    def __init__(self, total_units: int, total_shards: int, *, enabled: bool = True, desc="build"):
        self.total_shards = total_shards
        self.shards_done = 0
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total_units,
                desc=desc,
                unit="sample",
                dynamic_ncols=True,
                file=sys.stderr,
                smoothing=0.1,
            )
            self._bar.set_postfix_str(self._postfix())

    def _postfix(self) -> str:
        return f"shards {self.shards_done}/{self.total_shards}"

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def shard_done(self) -> None:
        self.shards_done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def table(rows: Sequence[Sequence], headers: Sequence[str]) -> str:
    """A fixed-width text table (numbers right-aligned)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_num(r[i]) for r in rows) and rows for i in range(len(headers))]

    def line(r):
        return "  ".join(
            c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    return str(x)
