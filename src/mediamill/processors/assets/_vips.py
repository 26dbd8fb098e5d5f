"""The one place pyvips is imported and configured (lazily, so task discovery stays fast)."""

from __future__ import annotations

import functools


@functools.cache
def vips():
    """pyvips, configured once per process.

    The operation cache is off: a long-lived worker would otherwise keep decoded regions (and
    open handles on deleted scratch files) of past jobs alive between jobs.
    """
    import pyvips

    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    return pyvips
