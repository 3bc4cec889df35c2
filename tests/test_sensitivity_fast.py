"""The sensitivity analysis computed from precomputed lines gives every figure that revaluing
every case gives (the slow reference in ``sensitivity_reference``), on random inputs."""

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
    central = sum((calculate.value_case(case, inputs.costs, inputs.series, settings.price_year,
                                        settings.assumptions).prudent_total for case in cases), models.ZERO)
    spend = models.whole_pounds(central * Decimal(rng.uniform(0.2, 1.6))) + rng.choice([0, 1])
    service = service.model_copy(update={"spend": {year: spend}})
    return cases, settings, service, year


@pytest.mark.parametrize("seed", range(12))
def test_every_figure_equals_revaluing_every_case(sample, seed):
    rng = random.Random(seed)
    cases, settings, service, year = random_inputs(rng, sample)
    arguments = (cases, sample.costs, sample.series, settings, service, year)
    fast, slow = sensitivity.analyse(*arguments), sensitivity_reference.analyse(*arguments)
    assert fast.model_dump() == slow.model_dump()
    assert repr(fast) == repr(slow)  # (the same digits, not just equal values)
