"""Governance levers of the browser visualization, and the scenario they produce.

Each lever is a control in the page's sidebar. Levers change nothing while the model runs: on
*Reset* the app loads the chosen scenario file and appends one policy per governance path whose
levers are moved away from "off" (``viz_talent``, ``viz_infrastructure``, ``viz_supply_side``,
``viz_co_governance``) to the scenario's own ``policies:`` list, through
:func:`village_sim.load_scenario` with an override of ``policies``. With every lever off the
scenario runs exactly as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from village_sim.run import load_scenario
from village_sim.scenario.schema import Scenario

SCENARIO_ENV = "VILLAGE_SIM_VIZ_SCENARIO"
"""Environment variable naming the scenario the app starts with (set by ``village-sim viz``)."""

SEED_ENV = "VILLAGE_SIM_VIZ_SEED"
"""Environment variable with the seed the app starts with."""

BROADBAND_CHOICES: dict[str, list[str] | None] = {
    "none": None,
    "mountain villages": ["mountain"],
    "mountain and hill villages": ["mountain", "hill"],
    "all villages": ["plain", "hill", "mountain"],
}
"""Broadband lever: which villages get the upgrade (terrains)."""

HANDOUT_TOOLS = ["ai_selection", "data_dashboard", "digital_human"]
"""Tools the tool-handout lever gives every local anchor (as in ``scenarios/tool_handout.yaml``)."""

NO_COMMISSION_CAP = 1.0
"""Commission-cap lever value meaning "no cap" (a commission cannot exceed the whole sale)."""


@dataclass(frozen=True)
class Lever:
    """A control of the sidebar and how it reaches the scenario.

    Numeric levers are drop-down lists of a few telling values (a list always shows its value;
    a slider only while it is dragged), switches are check boxes.

    Attributes:
        name: Keyword of :class:`~village_sim.viz.app.VizMarket` (and of Mesa's ``model_params``).
        label: What the user reads above the control (with its unit).
        path: Governance path of the policy it acts through (``""``: settings of those policies).
        kind: ``int``, ``float``, ``bool`` or ``choice`` (a named option).
        choices: Option label → value (not for ``bool``); the first is the default.
    """

    name: str
    label: str
    path: str
    kind: str
    choices: dict[str, Any] = field(default_factory=dict)

    @property
    def default(self) -> Any:
        """The value of the default option ("off" for governance levers)."""
        return False if self.kind == "bool" else next(iter(self.choices.values()))

    @property
    def default_label(self) -> Any:
        """What the control shows at first."""
        return False if self.kind == "bool" else next(iter(self.choices))

    def param(self) -> dict[str, Any]:
        """The lever as an entry of Mesa's ``model_params`` (a user input)."""
        if self.kind == "bool":
            return {"type": "Checkbox", "value": False, "label": self.label}
        return {
            "type": "Select",
            "value": self.default_label,
            "values": list(self.choices),
            "label": self.label,
        }

    def value(self, given: Any) -> Any:
        """The lever's value from what a control (an option label) or a caller gives.

        Raises:
            ValueError: Neither an option label nor a value of the right kind.
        """
        if self.kind == "bool":
            if isinstance(given, str):
                if given.strip().lower() in ("true", "1", "yes", "on"):
                    return True
                if given.strip().lower() in ("false", "0", "no", "off", ""):
                    return False
                raise ValueError(f"lever '{self.name}': expected true or false, got {given!r}")
            return bool(given)
        if isinstance(given, str) and given in self.choices:
            return self.choices[given]
        if given in self.choices.values():
            return given
        if self.kind in ("int", "float") and given is not None and not isinstance(given, bool):
            try:
                number = float(given)
            except (TypeError, ValueError):
                pass
            else:
                if number >= 0 and (self.kind == "float" or number.is_integer()):
                    return int(number) if self.kind == "int" else number
        raise ValueError(
            f"lever '{self.name}': expected one of {', '.join(self.choices)}"
            + (" or a non-negative number" if self.kind != "choice" else "")
            + f", got {given!r}"
        )

    def is_off(self, value: Any) -> bool:
        """Whether ``value`` (already converted by :meth:`value`) leaves the scenario unchanged."""
        return value == self.default


LEVERS: tuple[Lever, ...] = (
    # talent (paper §4.1)
    Lever(
        "training_extra_seats",
        "Talent: extra training seats (seats/yr)",
        "talent",
        "int",
        {"0": 0, "40": 40, "80": 80, "160": 160, "320": 320},
    ),
    Lever(
        "training_quality",
        "Talent: course quality (x skill gain)",
        "talent",
        "float",
        {"1.0 (as is)": 1.0, "1.3": 1.3, "1.6": 1.6, "2.0": 2.0},
    ),
    Lever("standard_courses", "Talent: standard 48-hour courses only", "talent", "bool"),
    Lever(
        "returnee_subsidy",
        "Talent: returnee subsidy (yuan/month, 12 months)",
        "talent",
        "int",
        {"0": 0, "400": 400, "800": 800, "1500": 1500},
    ),
    # infrastructure (paper §4.2)
    Lever(
        "broadband",
        "Infrastructure: broadband upgrade to 200 Mbps",
        "infrastructure",
        "choice",
        {k: k for k in BROADBAND_CHOICES},
    ),
    Lever(
        "cold_chain", "Infrastructure: cold chain (village roads, hubs)", "infrastructure", "bool"
    ),
    Lever(
        "tool_handout", "Infrastructure: hand digital tools to anchors", "infrastructure", "bool"
    ),
    # supply side (paper §4.3)
    Lever(
        "standardisation",
        "Supply side: standards keep the quality spread at (x)",
        "supply_side",
        "float",
        {"1.0 (no standards)": 1.0, "0.7": 0.7, "0.5": 0.5, "0.3": 0.3},
    ),
    Lever("traceability", "Supply side: village traceability systems", "supply_side", "bool"),
    # co-governance (paper §4.3; caps and fairness are extensions)
    Lever(
        "commission_cap",
        "Co-governance: cap on external commission (share of sales)",
        "co_governance",
        "float",
        {"none": NO_COMMISSION_CAP, "0.20": 0.2, "0.15": 0.15, "0.10": 0.1, "0.05": 0.05},
    ),
    Lever("platform_fairness", "Co-governance: platform fairness rules", "co_governance", "bool"),
    Lever(
        "extra_inspections",
        "Co-governance: extra inspections (per week)",
        "co_governance",
        "int",
        {"0": 0, "2": 2, "4": 4, "8": 8},
    ),
    # the lever policies' common settings
    Lever(
        "policy_budget",
        "Lever policies: budget per path (million yuan)",
        "",
        "float",
        {"3": 3.0, "1": 1.0, "10": 10.0, "30": 30.0},
    ),
    Lever(
        "policy_start_week",
        "Lever policies: start week",
        "",
        "int",
        {"0": 0, "13": 13, "26": 26, "52": 52},
    ),
)
LEVER_NAMES: tuple[str, ...] = tuple(lever.name for lever in LEVERS)
DEFAULTS: dict[str, Any] = {lever.name: lever.default for lever in LEVERS}
PATHS: tuple[str, ...] = ("talent", "infrastructure", "supply_side", "co_governance")


def _measures(path: str, v: dict[str, Any]) -> dict[str, Any]:
    """The measures of one path that the levers switch on (empty if none)."""
    on = {lever.name for lever in LEVERS if lever.path == path and not lever.is_off(v[lever.name])}
    m: dict[str, Any] = {}
    if path == "talent":
        if on & {"training_extra_seats", "training_quality", "standard_courses"}:
            m["training"] = {
                "seats_per_year": float(v["training_extra_seats"]),
                "quality_multiplier": float(v["training_quality"]),
                "standard_share": 1.0 if v["standard_courses"] else None,
            }
        if "returnee_subsidy" in on:
            m["returnee_subsidy"] = {"yuan_per_month": float(v["returnee_subsidy"]), "months": 12}
    elif path == "infrastructure":
        if "broadband" in on:
            m["broadband"] = {"terrains": BROADBAND_CHOICES[v["broadband"]], "uplink_mbps": 25.0}
        if "cold_chain" in on:
            m["cold_chain"] = {
                "roads": True,
                "extra_hub_cold_kg_week": 5000.0,
                "precooling_kg": 2000.0,
            }
        if "tool_handout" in on:
            m["tool_handout"] = {"tools": list(HANDOUT_TOOLS), "new_anchors": True}
    elif path == "supply_side":
        if "standardisation" in on:
            m["standardisation"] = {"quality_sd_factor": float(v["standardisation"])}
        if "traceability" in on:
            m["traceability"] = {"trust_boost": 0.1}
    elif path == "co_governance":
        if "commission_cap" in on:
            m["commission_cap"] = {"max_commission": float(v["commission_cap"])}
        if "platform_fairness" in on:
            m["platform_fairness"] = {"top_share_cap": 0.1, "local_boost": 1.5}
        if "extra_inspections" in on:
            m["regulator_capacity"] = {"extra_inspections_per_week": int(v["extra_inspections"])}
    return m


def normalise(levers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every lever's value, defaults filled in, option labels turned into values.

    Raises:
        ValueError: An unknown lever or a value it cannot take.
    """
    given = dict(levers or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown lever '{unknown[0]}'; expected one of: {', '.join(LEVER_NAMES)}")
    return {lever.name: lever.value(given.get(lever.name, lever.default)) for lever in LEVERS}


def describe(levers: dict[str, Any] | None = None) -> list[str]:
    """Short texts of the levers that are not at their default (``"extra training seats 80"``)."""
    values = normalise(levers)
    out = []
    for lever in LEVERS:
        value = values[lever.name]
        if lever.is_off(value):
            continue
        label = lever.label.split(": ", 1)[-1]
        out.append(label if lever.kind == "bool" else f"{label} = {value}")
    return out


def lever_policies(levers: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The policies (scenario ``policies:`` entries) the levers add, one per path moved.

    Args:
        levers: Lever values by name (missing ones are off).

    Returns:
        Policy dictionaries named ``viz_<path>`` with the common budget and start week.
    """
    v = normalise(levers)
    out = []
    for path in PATHS:
        measures = _measures(path, v)
        if measures:
            out.append(
                {
                    "name": f"viz_{path}",
                    "path": path,
                    "start_week": int(v["policy_start_week"]),
                    "budget_yuan": float(v["policy_budget"]) * 1e6,
                    "measures": measures,
                }
            )
    return out


def scenario_dir() -> Path:
    """The folder of ready-to-run scenarios: ``./scenarios`` if present, else the repository's."""
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "scenarios"


def scenario_choices(extra: str | Path | None = None) -> dict[str, Path]:
    """Scenario picker entries: label → file, for every ``*.yaml`` in :func:`scenario_dir`.

    Args:
        extra: A scenario file given on the command line; listed by its path when it lies
            outside the scenarios folder.

    Returns:
        Labels (file stems, or the path of ``extra``) mapped to files, sorted by label.
    """
    folder = scenario_dir()
    choices = {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}
    if extra is not None:
        path = Path(extra)
        if not any(_same(path, p) for p in choices.values()):
            choices[str(path)] = path
    return choices


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def choice_label(path: str | Path, choices: dict[str, Path] | None = None) -> str:
    """The picker label of a scenario file (its stem when it is in the scenarios folder)."""
    choices = scenario_choices(path) if choices is None else choices
    for label, file in choices.items():
        if _same(Path(path), file):
            return label
    return str(path)


def default_scenario() -> Path:
    """The scenario the app starts with: ``$VILLAGE_SIM_VIZ_SCENARIO`` or ``baseline.yaml``."""
    env = os.environ.get(SCENARIO_ENV)
    if env:
        return Path(env)
    return scenario_dir() / "baseline.yaml"


def resolve_choice(choice: str | Path) -> Path:
    """The file behind a picker label, or a listed file given by its path.

    Only the picker's scenarios can be chosen (the scenarios folder and the file the app was
    started with): a browser cannot make the server read any other file.

    Raises:
        ValueError: Not a scenario of the picker.
    """
    choices = scenario_choices(default_scenario())
    if str(choice) in choices:
        return choices[str(choice)]
    for file in choices.values():
        if _same(Path(choice), file):
            return file
    raise ValueError(
        f"unknown scenario '{choice}'; expected one of the listed scenarios: {', '.join(choices)}"
    )


def build_scenario(choice: str | Path, levers: dict[str, Any] | None = None) -> Scenario:
    """Load a scenario and apply the levers (their policies appended to ``policies:``).

    Args:
        choice: A picker label (``baseline``) or the path of a listed scenario (text, as the
            browser sends it: see :func:`resolve_choice`), or any scenario file as a
            :class:`~pathlib.Path` (from Python).
        levers: Lever values by name (missing ones are off).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: The file or the resulting scenario is invalid.
        ValueError: An unknown scenario label or lever.
    """
    path = choice if isinstance(choice, Path) else resolve_choice(choice)
    extra = lever_policies(levers)
    scenario = load_scenario(path)
    if not extra:
        return scenario
    taken = {p.name for p in scenario.policies}
    for policy in extra:  # policy names must be unique
        while policy["name"] in taken:
            policy["name"] += "_lever"
        taken.add(policy["name"])
    own = [p.model_dump(mode="json") for p in scenario.policies]
    return load_scenario(path, overrides={"policies": own + extra})
