"""The county's products (MODEL.md §2): their specs by index and their attributes as arrays."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from village_sim.scenario.schema import ProductSpec


class Products:
    """Products by index (the order of the scenario's ``products``), with array views.

    Args:
        specs: Product name → spec, as in the scenario.
    """

    def __init__(self, specs: Mapping[str, ProductSpec]) -> None:
        self.names = list(specs)
        self._specs = list(specs.values())
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, index: int) -> ProductSpec:
        return self._specs[index]

    def __iter__(self) -> Iterator[ProductSpec]:
        return iter(self._specs)

    def index(self) -> dict[str, int]:
        """Product name → index."""
        return {name: i for i, name in enumerate(self.names)}

    def array(self, field: str) -> np.ndarray:
        """A product attribute as a float array indexed by product (built once)."""
        if field not in self._arrays:
            self._arrays[field] = np.array([getattr(p, field) for p in self._specs], dtype=float)
        return self._arrays[field]
