"""Garbage-collector settings for the bulk commands.

`convert`, `verify` and `scan` build millions of small, long-lived objects (parsed documents, the models, the
Kong configurations) and free almost none until they exit.  With CPython's default thresholds (a young
collection every 700 net allocations) the collector keeps re-examining them: about a fifth of the CPU time of a
10,000-Ingress `convert` went to collections that found nothing.  Reference counting still frees everything
acyclic at once; only the cycle hunt is made rarer, so peak memory is unchanged (measured: same max RSS).
"""

from __future__ import annotations

import gc

# young collections every 50,000 allocations, a middle one every 20 of those, the full one every 100 middle
# ones (CPython also skips a full one until a quarter of the heap is new since the last)
BULK_THRESHOLDS = (50_000, 20, 100)


def bulk_mode() -> None:
    gc.set_threshold(*BULK_THRESHOLDS)
