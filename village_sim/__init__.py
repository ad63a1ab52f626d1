"""village_sim: an agent-based simulator of village markets under e-commerce live streaming.

The public API: :func:`load_scenario` and :func:`run` (returning a :class:`RunResult`).
"""

from village_sim.run import RunResult, load_scenario, run

__version__ = "0.1.0"
__all__ = ["RunResult", "__version__", "load_scenario", "run"]
