"""The blocking-pool channel layer, measured here as `BENCH_EXPERIMENTS=blockingpool`, is now
the default (`chat.layers`); this name stays so older command lines still run."""

from chat.layers import BlockingPoolChannelLayer

__all__ = ["BlockingPoolChannelLayer"]
