"""Mesa's Boltzmann wealth model as in its tutorial (well-mixed), with a cached agent list.

Used by ``benchmarks/bench_scale.py`` as the yardstick of agent-steps per second.
"""

from __future__ import annotations

import mesa


class MoneyAgent(mesa.Agent):
    """An agent with a unit of wealth that it gives away at random."""

    def __init__(self, model: BoltzmannWealth) -> None:
        super().__init__(model)
        self.wealth = 1

    def exchange(self) -> None:
        """Give one unit to a random other agent."""
        if self.wealth > 0:
            other = self.random.choice(self.model.agent_list)
            other.wealth += 1
            self.wealth -= 1


class BoltzmannWealth(mesa.Model):
    """N agents exchanging money; the agent list is cached (Mesa's list copy is O(N) per call)."""

    def __init__(self, n: int = 100, seed: int = 0) -> None:
        super().__init__(rng=seed)
        MoneyAgent.create_agents(self, n)
        self.agent_list = list(self.agents)

    def step(self) -> None:
        """Every agent exchanges once, in random order."""
        self.agents.shuffle_do("exchange")
