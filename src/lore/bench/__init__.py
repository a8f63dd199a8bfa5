"""Benchmarks behind ``lore bench``: each module measures one part on this machine and returns
its figures (``benchmarks/*.py`` run the same code from a checkout)."""
