"""The sensitivity analysis computed from precomputed lines gives every figure that revaluing
every case gives (the slow reference in ``sensitivity_reference``), on random inputs: the low and
high results, and the exact switching values (closed form or grouped bisection against bisection
over every line revalued, to 10 decimal places)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

import sensitivity_reference
from conftest import SETTINGS
from up2u_cba import models, pipeline
from up2u_cba.method import assumptions, calculate, sensitivity


@pytest.fixture(scope="module")
def sample():
    inputs, problems = pipeline.load(str(SETTINGS))
    assert inputs is not None and not problems
    return inputs


def share(rng: random.Random, places: int = 2) -> Decimal:
    return Decimal(rng.randint(0, 10 ** places)) / 10 ** places


def random_outcome(rng: random.Random, codes: list[str]) -> models.OutcomeEntry:
    own = rng.random() < 0.25
    return models.OutcomeEntry(
        code=rng.choice(codes),
        quantity=rng.choice([Decimal(1), Decimal(1), Decimal(2), Decimal(3), Decimal("0.5"), Decimal("1.25")]),
        years=rng.choice([Decimal(1), Decimal(1), Decimal(2), Decimal("2.5"), Decimal(3), Decimal("0.5")]),
        years_stated=rng.random() < 0.8,
        deadweight=share(rng) if own and rng.random() < 0.6 else None,
        attribution=share(rng) if own and rng.random() < 0.6 else None,
        adjustment_reason="test" if own else "",
        confidence=rng.choice(["", "", "G", "A", "R"]),
    )


def random_assumptions(rng: random.Random, codes: list[str]) -> assumptions.Assumptions:
    def rates(default: Decimal) -> assumptions.CodeRates:
        return assumptions.CodeRates(default=default, codes={code: share(rng) for code in rng.sample(codes, 3)})

    def pair() -> tuple[Decimal, Decimal]:
        low, high = sorted((share(rng, 3), share(rng, 3)))
        return low, high

    return assumptions.Assumptions(
        deadweight=rates(share(rng) / 2), attribution=rates(Decimal(1) - share(rng) / 2),
        optimism_bias={grade: share(rng) / 2 for grade in assumptions.GRADES},
        drop_off=rates(share(rng) / 2), duration={code: Decimal(rng.randint(1, 4)) for code in rng.sample(codes, 3)},
        discount_rate=share(rng, 3) / 10,
        sensitivity={name: pair() for name in assumptions.SENSITIVITY_NAMES},
    )


def random_spend(rng: random.Random, inputs: pipeline.Inputs, cases: list[models.CaseRecord],
                 settings: models.Settings) -> Decimal:
    """A spend near the prudent total at the settings' values, or at a random programme-wide
    drop-off or discount rate (so that those cross zero too), or small enough that lines with
    their own deadweight or attribution may pay for it alone."""
    basis = rng.choice(["central", "central", "drop_off", "discount_rate", "small"])
    green_book = settings.assumptions
    if basis in ("drop_off", "discount_rate"):
        green_book = sensitivity.uniform(green_book, basis, share(rng))
    total = sum((calculate.value_case(case, inputs.costs, inputs.series, settings.price_year,
                                      green_book).prudent_total for case in cases), models.ZERO)
    scale = {"central": Decimal(rng.uniform(0.2, 1.6)), "small": Decimal(rng.uniform(0.01, 0.1))}.get(basis, 1)
    return max(models.whole_pounds(total * scale) + rng.choice([0, 1]), Decimal(1))


def random_inputs(rng: random.Random, inputs: pipeline.Inputs):
    """Random lines on the sample's cases, random assumptions, a spend near the prudent total."""
    settings = inputs.settings
    codes = sorted(code for code, cost in inputs.costs.items()
                   if cost.fiscal is not None and cost.fiscal.price_year in inputs.series.index)
    service = settings.services[0]
    year = calculate.latest_year([case for case in inputs.cases if case.service == service.name])
    completed = calculate.completed_in(inputs.cases, service.name, year)
    cases = []
    for case in rng.sample(completed, min(len(completed), rng.randint(1, 6))):
        outcomes = [random_outcome(rng, codes) for _ in range(rng.randint(1, 5))]
        outcomes += rng.sample(outcomes, rng.randint(0, len(outcomes)))  # identical lines
        cases.append(case.model_copy(update={"outcomes": tuple(outcomes)}))
    settings = settings.model_copy(update={"assumptions": random_assumptions(rng, codes)})
    service = service.model_copy(update={"spend": {year: random_spend(rng, inputs, cases, settings)}})
    return cases, settings, service, year


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_figure_equals_revaluing_every_case(sample, seed):
    rng = random.Random(seed)
    cases, settings, service, year = random_inputs(rng, sample)
    arguments = (cases, sample.costs, sample.series, settings, service, year)
    fast, slow = sensitivity.analyse(*arguments), sensitivity_reference.analyse(*arguments)
    assert fast.model_dump() == slow.model_dump()
    assert repr(fast) == repr(slow)  # (the same digits, not just equal values)


def test_the_random_inputs_meet_every_kind_of_switching_value(sample):
    """Each assumption, on some of the random inputs, crosses zero; on others pays for itself
    throughout or never (all but optimism bias at 100%, which leaves no saving against a spend)."""
    met = set()
    for seed in SEEDS:
        cases, settings, service, year = random_inputs(random.Random(seed), sample)
        for row in sensitivity.analyse(cases, sample.costs, sample.series, settings, service, year).rows:
            kind = ("switches" if row.switching_value is not None
                    else "pays throughout" if row.pays_throughout else "never pays")
            met.add((row.assumption, kind, row.pays_at_or_below))
    expected = {(name, "switches", name != "attribution") for name in assumptions.SENSITIVITY_NAMES}
    expected |= {(name, kind, None) for name in assumptions.SENSITIVITY_NAMES
                 for kind in ("pays throughout", "never pays")} - {("optimism_bias", "pays throughout", None)}
    assert expected <= met, expected - met
