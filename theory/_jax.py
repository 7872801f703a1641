"""JAX helpers shared by theory/ (where JAX supplies autodiff) and sims/."""

from __future__ import annotations


def float64():
    """Context manager enabling float64 in JAX, on old (0.5) and new JAX releases alike.

    ``jax.experimental.enable_x64`` on the pinned JAX; ``jax.enable_x64(True)`` where the
    experimental one is gone (GPU machines may carry a newer JAX).
    """
    import jax
    import jax.experimental

    legacy = getattr(jax.experimental, "enable_x64", None)
    return legacy() if legacy is not None else jax.enable_x64(True)
