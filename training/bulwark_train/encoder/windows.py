"""Token windows exactly as the TypeScript runtime cuts them (shared/classifier/windows.ts)."""

from __future__ import annotations

MAX_LENGTH = 128
# [CLS] text [SEP]: 126 text tokens per window; windows do not overlap.
STRIDE = MAX_LENGTH - 2
MAX_WINDOWS = 4


def spread(items: list, max_windows: int) -> list:
    """At most max_windows items, evenly spaced, first and last kept: item floor(k(n-1)/(max-1))."""
    n = len(items)
    if n <= max_windows:
        return items
    if max_windows == 1:
        return items[:1]
    return [items[(k * (n - 1)) // (max_windows - 1)] for k in range(max_windows)]


def windows(ids: list[int], cls: int, sep: int) -> list[list[int]]:
    room = MAX_LENGTH - 2
    starts = []
    start = 0
    while True:
        starts.append(start)
        if start + room >= len(ids):
            break
        start += STRIDE
    return [[cls, *ids[s : s + room], sep] for s in spread(starts, MAX_WINDOWS)]
