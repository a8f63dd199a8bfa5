"""What a figure was measured on: the machine's load while a benchmark ran. The machine is
shared and noisy; a figure printed without its load cannot be compared with another."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Load:
    """Load averages over 1, 5 and 15 minutes, and the cores they are shared by."""

    one: float
    five: float
    fifteen: float
    cores: int

    def __str__(self) -> str:
        return (
            f"load average {self.one:.2f} / {self.five:.2f} / {self.fifteen:.2f}"
            f" on {self.cores} cores"
        )


def load() -> Load:
    one, five, fifteen = os.getloadavg()
    return Load(round(one, 2), round(five, 2), round(fifteen, 2), os.cpu_count() or 1)
