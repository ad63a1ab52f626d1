"""Behavioural constants that became scenario parameters (issue 12) act where the ODD says.

Each test changes one parameter from its default and checks the behaviour it governs; at the
defaults the outputs are those of the former constants (golden outputs of every scenario were
compared byte for byte when they were named).
"""

from __future__ import annotations

import pytest
from helpers import small_scenario

from village_sim.agents.tools import Holding
from village_sim.model import VillageMarket


def _model(**overrides) -> VillageMarket:
    return VillageMarket(small_scenario(**overrides), seed=5)


def _run(model: VillageMarket, weeks: int) -> VillageMarket:
    for _ in range(weeks):
        model.step()
    return model


def test_a_streaming_farm_members_skill_is_the_set_share_of_its_literacy():
    for share in (0.3, 0.9):
        model = _model(farmers__member_skill_per_literacy=share, farmers__literacy_to_stream=0.2)
        for _ in range(30):
            before = {a.index for a in model.anchor_list}
            model.farmers.start_streaming()  # the stage alone: no learning by doing yet
            new = [a for a in model.anchor_list if a.index not in before]
            for a in new:
                assert a.kind == "farmer"
                assert a.skill == pytest.approx(share * a.aptitude)
            if new:
                break
        assert new, "no farm household started streaming"


@pytest.mark.parametrize("cap", [0.0, 0.25])
def test_the_combined_tool_effect_stops_at_the_cap(cap: float):
    model = _model(tools__effect_cap=cap)
    anchor = model.anchor_list[0]
    catalogue = model.config.tools.catalogue
    same = [n for n, s in catalogue.items() if s.effect == "conversion"]
    for name in same:
        anchor.tools[name] = Holding(name, 0, in_use=True)
        catalogue[name].effect_size = 1.0
    assert anchor.tool_effect("conversion") == cap


def test_a_caught_cheater_keeps_at_most_the_set_share_of_the_exaggeration_limit():
    model = _model(regulation__caught_exaggeration_share=0.2, regulation__p_detect_base=1.0)
    regulator = next(iter(model.regulators))
    anchor = next(a for a in model.anchor_list if a.kind == "external")
    anchor.exaggeration = 1.0
    regulator._examine(anchor)
    limit = model.config.regulation.exaggeration_limit
    assert anchor.exaggeration == pytest.approx(0.2 * limit)


def _asked_on_their_own(model: VillageMarket, weeks: int, recognition: float | None) -> int:
    """Returnees who asked for a seat by themselves (not brought home by a seat offer)."""
    asked = []
    apply = model.training.apply

    def recording(youth):
        if not youth.came_for_seat:
            asked.append(youth)
        return apply(youth)

    model.training.apply = recording
    for _ in range(weeks):
        if recognition is not None:
            model.beliefs.recognition = recognition  # held before the young decide
        model.step()
    return len(asked)


def test_with_no_recognition_and_no_offset_no_returnee_asks_for_a_seat():
    """The enrolment multiplier is ``recognition + enrol_recognition_offset``."""
    assert _asked_on_their_own(_model(), 20, recognition=0.0) > 0
    silent = _model(youth__enrol_recognition_offset=0.0)
    assert _asked_on_their_own(silent, 20, recognition=0.0) == 0


def test_a_city_anchor_expects_the_set_multiple_of_its_outside_option():
    for multiple in (1.0, 2.5):
        model = _model(external_anchors__prior_margin_multiple=multiple)
        city = [a for a in model.anchor_list if a.kind == "external"]
        assert city
        for a in city:
            assert a._prior_margin() == pytest.approx(multiple * a.outside_option)


def test_how_much_an_unfollowed_anchor_borrows_from_its_brand_changes_what_people_buy():
    """Trust in an anchor nobody follows mixes the initial trust and the village brand's."""
    sales = {}
    for weight in (0.0, 1.0):
        model = _run(_model(steps=8, consumers__unfollowed_brand_weight=weight), 8)
        sales[weight] = model.datacollector.get_model_vars_dataframe()["gmv"].sum()
    assert sales[0.0] != sales[1.0]


def test_followers_drop_off_below_the_trust_threshold():
    """Everyone's trust is below a threshold of 1 and above one of 0: more unfollow with 1."""
    followers = {}
    for threshold in (0.0, 1.0):
        model = _model(
            consumers__unfollow_trust_threshold=threshold, consumers__unfollow_distrust=1.0
        )
        followers[threshold] = int(_run(model, 6).consumers.follow_people.sum())
    assert followers[1.0] < 0.5 * followers[0.0], followers


@pytest.mark.parametrize("weeks", [2, 8])
def test_an_exaggerators_fine_counts_the_set_weeks_of_revenue(weeks: int):
    model = _model(
        regulation__offence_gain_weeks=weeks,
        regulation__p_detect_base=1.0,
        regulation__min_fine=0.0,
    )
    regulator = next(iter(model.regulators))
    anchor = next(a for a in model.anchor_list if a.kind == "external")
    anchor.revenue_history = [1000.0] * 10
    anchor.exaggeration, anchor.fake_gain_open = 0.5, 0.0
    regulator._examine(anchor)
    multiplier = model.config.regulation.fine_multiplier
    assert regulator.fines_yuan == pytest.approx(multiplier * 0.5 * 1000.0 * weeks)
