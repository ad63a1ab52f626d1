"""``python -m village_sim.cli``: the same as the ``village-sim`` command."""

from __future__ import annotations

import sys

from village_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
