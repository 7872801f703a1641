"""One BLAS thread for small dense linear algebra.

The solvers of several modules (DKM, neural collapse) work on matrices of at most a few
thousand rows.  On a busy 2-core machine a multi-threaded OpenBLAS spends most of its time
handing work between threads: a 50 x 50 Cholesky took 10-70 ms instead of 0.1 ms and an
L-BFGS/Newton solve ran ~30x slower.  :func:`one_blas_thread` pins BLAS to one thread, as a
context manager or as a decorator (``@one_blas_thread()``).  The threadpool controller is
built once: building it rescans every loaded library (~13 ms).
"""

from __future__ import annotations

import contextlib
import functools


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread():
    """Limit every loaded BLAS library to one thread inside the block (or decorated call)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
