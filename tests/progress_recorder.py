"""A Progress that remembers every step, for tests that check what the bars would show."""

from __future__ import annotations

from dataclasses import dataclass

from immex.core.progress import Progress


@dataclass
class Step:
    name: str
    total: int | None
    unit: str
    done: int = 0


class Recorder(Progress):
    """Records each ``phase`` as a :class:`Step` and adds every ``advance`` to the current one."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.steps.append(Step(name, total, unit))

    def advance(self, n: int = 1) -> None:
        assert self.steps, "advance before any phase"
        self.steps[-1].done += n

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def step(self, name: str) -> Step:
        found = [s for s in self.steps if s.name == name]
        assert len(found) == 1, f"{name!r} in {self.names}"
        return found[0]

    def sized(self) -> list[Step]:
        return [s for s in self.steps if s.total is not None]

    def unsized_advanced(self) -> list[Step]:
        """Steps announced without a size that still advanced: the bar could not show them."""
        return [s for s in self.steps if s.total is None and s.done]
