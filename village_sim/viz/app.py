"""The browser app: Mesa's SolaraViz around :class:`VizMarket`, the page ``Page``.

Run it with ``village-sim viz [SCENARIO.yaml] [--port N]`` (or ``python -m village_sim.cli viz``, or
``solara run village_sim/viz/app.py``). Each browser session builds its own model, so sessions do
not step each other's county. Reset rebuilds the model from the sidebar: scenario, seed and the
governance levers (:mod:`village_sim.viz.levers`).
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from village_sim.metrics.value_flows import ValueFlowRecorder
from village_sim.model import VillageMarket
from village_sim.scenario.errors import ScenarioError
from village_sim.viz import data, levers
from village_sim.viz.components import TICK, page_components

TITLE = "village_sim: village markets under live streaming"


def parse_seed(value: Any) -> tuple[int | None, str | None]:
    """The seed from a control (Solara's InputText hands over a string).

    Returns:
        ``(seed, warning)``: ``None`` (a fresh seed, drawn by the model and shown on the page)
        for ``None`` or an empty box; 0 and a warning when the text is not a non-negative whole
        number.
    """
    text = str(value).strip() if value is not None else ""
    if text == "":
        return None, None
    try:
        number = float(text)
        if not number.is_integer():
            raise ValueError
        seed = int(number)
    except (TypeError, ValueError, OverflowError):
        return 0, f"Seed '{text}' is not a whole number; seed 0 used."
    if seed < 0:
        return 0, f"Seed {seed} is negative; seed 0 used."
    return seed, None


class VizMarket(VillageMarket):
    """The village market as the browser builds it: scenario file, seed and levers.

    Keyword arguments are what SolaraViz's Reset passes from the sidebar (Mesa ``model_params``):
    a lever takes the label of one of its options (``"80"``, ``"none"``) or a value of its kind
    (see :data:`village_sim.viz.levers.LEVERS`); the defaults leave the scenario as written. A
    scenario or lever value that cannot be used does not break the page: the start scenario is
    run without levers instead and ``viz_warnings`` says why.

    Args:
        scenario_file: Picker label (``baseline``) or path of a scenario file (default: the
            scenario the app was started with).
        seed: The run seed (an integer, or its text: Solara's text box sends a string);
            ``None`` or an empty box draws a fresh one (as Mesa models do), shown on the page.
        training_extra_seats: Talent path: training seats added per year.
        training_quality: Talent path: multiplier on a course's skill gain (>= 1).
        standard_courses: Talent path: all seats in standard 48-hour courses.
        returnee_subsidy: Talent path: yuan a month for returning youth (12 months).
        broadband: Infrastructure path: which villages get 200 Mbps (``none``, ``mountain
            villages``, ``mountain and hill villages``, ``all villages``).
        cold_chain: Infrastructure path: cold chain on village roads, hub cold store, pre-cooling.
        tool_handout: Infrastructure path: digital tools handed to every local anchor.
        standardisation: Supply side: share of the quality spread kept by standards (1 = none).
        traceability: Supply side: traceability systems in every village.
        commission_cap: Co-governance: largest commission of external anchors (1 = no cap).
        platform_fairness: Co-governance: cap a top anchor's organic traffic at 10 %, boost
            local sellers x1.5.
        extra_inspections: Co-governance: inspections added per week.
        policy_budget: Budget of each lever policy (million yuan).
        policy_start_week: Week the lever policies start.
    """

    def __init__(
        self,
        scenario_file: str | None = None,
        seed: int | str | None = None,
        training_extra_seats: int | str = 0,
        training_quality: float | str = 1.0,
        standard_courses: bool = False,
        returnee_subsidy: int | str = 0,
        broadband: str = "none",
        cold_chain: bool = False,
        tool_handout: bool = False,
        standardisation: float | str = 1.0,
        traceability: bool = False,
        commission_cap: float | str = levers.NO_COMMISSION_CAP,
        platform_fairness: bool = False,
        extra_inspections: int | str = 0,
        policy_budget: float | str = 3.0,
        policy_start_week: int | str = 0,
    ) -> None:
        values = {k: v for k, v in locals().items() if k in levers.LEVER_NAMES}
        warnings: list[str] = []
        run_seed, problem = parse_seed(seed)
        if problem:
            warnings.append(problem)
        choice = scenario_file or levers.choice_label(levers.default_scenario())
        try:
            config = levers.build_scenario(choice, values)
            applied = levers.normalise(values)
        except (ScenarioError, ValueError) as exc:
            fallback = levers.default_scenario()
            warnings.append(
                f"Could not use scenario '{choice}' with these levers: {exc} — "
                f"running {fallback.name} without levers instead."
            )
            config = levers.build_scenario(fallback)
            choice = levers.choice_label(fallback)
            applied = dict(levers.DEFAULTS)
        super().__init__(config, seed=run_seed)
        self.scenario_choice = choice
        self.lever_values = applied
        self.viz_warnings = warnings
        self.viz_positions = data.node_positions(self.world.graph)
        self.viz_youth_history: list[dict[str, int]] = []
        self.viz_value_flows = ValueFlowRecorder(self)

    def step(self) -> None:
        """One week; then record what the plots need that the model does not keep."""
        super().step()
        self.viz_youth_history.append(data.youth_counts(self))
        self.viz_value_flows.record()


def model_params(scenario: str | os.PathLike | None = None, seed: int | None = 0) -> dict[str, Any]:
    """Mesa ``model_params``: scenario picker, seed box and one control per lever.

    Args:
        scenario: The scenario shown first (default :func:`levers.default_scenario`).
        seed: The seed shown first.
    """
    start = scenario if scenario is not None else levers.default_scenario()
    choices = levers.scenario_choices(start)
    params: dict[str, Any] = {
        "scenario_file": {
            "type": "Select",
            "value": levers.choice_label(start, choices),
            "values": list(choices),
            "label": "Scenario (applies on Reset)",
        },
        "seed": {
            "type": "InputText",
            "value": "" if seed is None else str(seed),
            "label": "Seed (integer; empty: a fresh one)",
        },
    }
    params.update({lever.name: lever.param() for lever in levers.LEVERS})
    return params


def start_seed() -> int | None:
    """The seed the app starts with (``$VILLAGE_SIM_VIZ_SEED``, else 0; empty: a fresh one)."""
    seed, _ = parse_seed(os.environ.get(levers.SEED_ENV, "0"))
    return seed


def make_model() -> VizMarket:
    """A fresh model for a new browser session: the start scenario and seed, levers off."""
    return VizMarket(
        scenario_file=levers.choice_label(levers.default_scenario()), seed=start_seed()
    )


@solara.component
def Page() -> None:  # noqa: N802 - Solara looks for ``Page``
    """The app: SolaraViz with the village market's controls, monitors and plots.

    Only this component listens to Mesa's ``update_counter``, and hands the count to the plots
    as a context (:func:`village_sim.viz.components.use_tick`): a Step redraws the page in one or
    two render passes instead of one per plot.
    """
    TICK.provide(update_counter.get())
    solara.Title("village_sim")
    model = solara.use_memo(make_model, dependencies=[])
    params = solara.use_memo(
        lambda: model_params(levers.default_scenario(), start_seed()), dependencies=[]
    )
    SolaraViz(
        model,
        components=page_components(),
        model_params=params,
        name=TITLE,
        play_interval=150,
    )
