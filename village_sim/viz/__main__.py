"""``python -m village_sim.viz [SCENARIO.yaml] [--port N] [--seed N]``: the same as ``village-sim viz``."""

from __future__ import annotations

import sys

from village_sim.cli.viz_cmd import main

if __name__ == "__main__":
    sys.exit(main())
