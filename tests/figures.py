"""The figures the hardening suites measure, printed once at the end of the run.

A suite calls `report("fuzz", examples=1)`; numbers add up across calls, text replaces. The
summary (see `pytest_terminal_summary` in tests/conftest.py) shows them without `-s`:

    hardening figures
      fuzz: examples=250, forms=83, autocompletes=...
"""

from __future__ import annotations

Figure = int | float | str

_figures: dict[str, dict[str, Figure]] = {}


def report(suite: str, **figures: Figure) -> None:
    entry = _figures.setdefault(suite, {})
    for name, value in figures.items():
        previous = entry.get(name)
        if isinstance(value, int | float) and isinstance(previous, int | float):
            entry[name] = previous + value
        else:
            entry[name] = value


def summary() -> list[str]:
    def shown(value: Figure) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    return [
        f"{suite}: " + ", ".join(f"{name}={shown(value)}" for name, value in figures.items())
        for suite, figures in sorted(_figures.items())
    ]
