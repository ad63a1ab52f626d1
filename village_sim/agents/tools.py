"""Digital tools and the in-use rule (paper §3.1, §3.2: 技术悬浮, technology suspension).

A tool has a complexity, a price, an upkeep, the effort using it takes, an effect and a fit to each
kind of product. It is bought on *perceived* benefit — the fit a buyer expects, inflated by
overconfidence and by how many peers hold it — within what recent revenue affords, or it is handed
out by a policy. In any week it is *used* only if the holder's skill clears its complexity (less the
support of a village service center) and the value of its effect, at its real fit and the holder's
business size, covers the effort. Otherwise it sits idle and still costs upkeep: suspension emerges
from the gap between perceived and real benefit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from village_sim.scenario.schema import ToolSpec


@dataclass
class Holding:
    """A tool held by an anchor.

    Attributes:
        name: Tool name in the catalogue.
        since_week: Week it was acquired.
        handed_out: True when a policy gave it (nobody chose it).
        in_use: Whether it was used this week.
        idle_weeks: Consecutive idle weeks.
        idle_reason: Why it sat idle this week (``suspended``, ``dormant``, ``skill``, ``effort``;
            :func:`village_sim.agents.pricing.idle_reason`), None when used.
    """

    name: str
    since_week: int
    handed_out: bool = False
    in_use: bool = False
    idle_weeks: int = 0
    idle_reason: str | None = None


def fit(spec: ToolSpec, fresh: bool) -> float:
    """Fit of a tool to a product (fresh farm produce or other goods)."""
    return spec.fit_fresh if fresh else spec.fit_other


def weekly_value(spec: ToolSpec, fit_value: float, weekly_margin: float) -> float:
    """Yuan a week the tool's effect is worth at a given fit and gross margin.

    Every effect is expressed as a share of the holder's weekly gross margin: more conversions,
    more trust, fewer forecast errors, or more session hours.
    """
    return spec.effect_size * fit_value * max(weekly_margin, 0.0)


def usable(spec: ToolSpec, skill: float, support: float) -> bool:
    """Whether the holder can operate the tool: skill clears complexity less local support."""
    return skill >= spec.complexity - support


def in_use(
    spec: ToolSpec, skill: float, support: float, fit_value: float, weekly_margin: float
) -> bool:
    """The in-use rule: usable at the holder's skill, and its effect pays for the effort."""
    return usable(spec, skill, support) and weekly_value(spec, fit_value, weekly_margin) >= (
        spec.effort_week
    )


def perceived_weekly_value(
    spec: ToolSpec,
    perceived_fit: float,
    weekly_margin: float,
    overconfidence: float,
    peer_share: float,
    peer_weight: float,
) -> float:
    """What a buyer expects the tool to be worth a week (before buying)."""
    base = weekly_value(spec, perceived_fit, weekly_margin)
    return base * overconfidence * (1 + peer_weight * peer_share)


def tally_tool_week(stats: dict[str, float], holding: Holding, rural: bool) -> None:
    """Count one held tool-week in the week's tallies (ECONOMICS.md §D).

    Every holder: held, in use, idle by reason (``tool_weeks_idle_<reason>``) and by tool. Rural
    sellers (local anchors, streaming farmers) in weeks they trade and are not suspended:
    ``rural_tool_weeks_trading`` and, idle for skill, support, fit or effort,
    ``rural_tool_weeks_suspended`` — the technology suspension rate's numerator (技术悬浮).
    """
    reason = holding.idle_reason
    stats["tool_weeks_held"] += 1
    stats[f"tool_held_{holding.name}"] += 1
    if reason is None:
        stats["tool_weeks_in_use"] += 1
    else:
        stats["tool_weeks_idle"] += 1
        stats[f"tool_weeks_idle_{reason}"] += 1
        stats[f"tool_idle_{holding.name}"] += 1
    if rural and reason not in ("suspended", "dormant"):
        stats["rural_tool_weeks_trading"] += 1
        stats["rural_tool_weeks_suspended"] += reason is not None


class PeerAdoption:
    """Share of active anchors holding each tool (what buyers see peers adopt).

    Counts kept exact as anchors join (:meth:`joined`), quit (:meth:`left`), acquire or drop a
    tool, so a share is two integers divided — the number a fresh count gives
    (:func:`peer_share_plain`; a test compares them at every review). A province recounted its
    hundreds of anchors after every one of these events.
    """

    def __init__(self) -> None:
        self._active = 0
        self._holders: dict[str, int] = {}

    def joined(self) -> None:
        """A new anchor is active (registered before it holds any tool)."""
        self._active += 1

    def left(self, anchor: Any) -> None:
        """An anchor quit: it and its tools no longer count."""
        self._active -= 1
        for name in anchor.tools:
            self.dropped(name)

    def acquired(self, name: str) -> None:
        """An active anchor took the tool ``name``."""
        self._holders[name] = self._holders.get(name, 0) + 1

    def dropped(self, name: str) -> None:
        """An active anchor gave up the tool ``name``."""
        self._holders[name] -= 1

    def share(self, name: str) -> float:
        """Share of the active anchors that hold the tool ``name``."""
        return self._holders.get(name, 0) / self._active if self._active else 0.0


def peer_share_plain(name: str, anchors: Sequence[Any]) -> float:
    """:meth:`PeerAdoption.share` counted afresh: active anchors holding ``name`` over active ones."""
    active = [a for a in anchors if not a.exited]
    return sum(name in a.tools for a in active) / len(active) if active else 0.0
