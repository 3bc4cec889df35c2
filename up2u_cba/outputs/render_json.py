"""The report as JSON: a documented, stable schema carrying every figure.

Schema ``up2u-cba/report/3`` (documented in the README). Money in whole pounds is a JSON
integer; exact decimals that are not whole pounds (quantities, unit values, uprating factors,
return on investment) are strings, so no figure passes through a float.
"""

from __future__ import annotations

import decimal
import json
from decimal import Decimal

from up2u_cba.method import calculate, forecast, report, uncertainty

SCHEMA = "up2u-cba/report/3"
"""2: the sensitivity rows give pays_at_or_below beside an exact switching value, in place of
net_at_switching_value (issue #11). 3: the prudent figures set savings against the prudent spend
(``prudent.spend``: raised by the cost optimism bias, paid within the year, never discounted; ``spend_basis``
says so), payback counts from each case's completion month against cumulative spend (to the first
month from which the savings stay at or above it: ``payback_definition``), and each
line gives its ``start_month`` (issue #13); ``uncertainty`` (added, so still 3) gives each service's
resampled intervals, where its saving comes from and its break-even points (issue #14). A report of schema 1 or 2 still serves as
--changed-since."""


def whole(amount: Decimal) -> int:
    """A whole-pound amount as an int (every saving, total and spend is one)."""
    assert amount == amount.to_integral_value(), f"{amount} is not whole pounds"
    return int(amount)


def exact(value: Decimal) -> str:
    return format(value.normalize(), "f")


def ratio(value: Decimal) -> str:
    """A ratio (pounds per £1 spent) as a string of 2 decimals, as it is meant: "2.20", not "2.2"."""
    return f"{value.quantize(RATIO_PLACES, rounding=decimal.ROUND_HALF_UP)}"


RATIO_PLACES = Decimal("0.01")


def pence(amount: Decimal) -> str:
    """Pounds and pence as a string of 2 decimals, as it is meant: "4500.00", "0.33" (a cost per
    completed case)."""
    return f"{amount:.2f}"  # (already to the penny: calculate.cost_per_completer)


def maybe(render, value: Decimal | None):
    """``render(value)``, or null for a figure not available (a spend not yet set, and every
    figure set against it)."""
    return None if value is None else render(value)


def to_data(result: report.Report) -> dict:
    return {
        "schema": SCHEMA,
        "tool_version": result.tool_version,
        "generated_at": result.generated_at.isoformat(),
        "command": result.command,
        "settings_file": result.settings_file,
        "year": str(result.year),
        "price_year": str(result.price_year),
        "deflators": {"series": result.deflator_series, "file": result.deflator_file},
        "method": "gross fiscal saving: unit value x uprating factor x quantity x years, "
                  "each line rounded to whole pounds half up; totals are sums of lines",
        "spend_basis": report.SPEND_BASIS,
        "payback_definition": report.PAYBACK_DEFINITION,
        "services": [service_data(summary) for summary in result.services],
        "all_services": all_services_data(result.all_services),
        "assumptions": [{"assumption": name, "value": value, "source": note}
                        for name, value, note in result.green_book.notes()],
        "sensitivity": [
            {"service": analysis.service, "year": str(analysis.year),
             "central": headline_data(analysis.central),
             "assumptions": [
                 {"assumption": row.assumption, "low": exact(row.low), "high": exact(row.high),
                  "at_low": headline_data(row.at_low), "at_high": headline_data(row.at_high),
                  "swing": whole(row.swing),
                  "switching_value": None if row.switching_value is None else exact(row.switching_value),
                  "pays_at_or_below": row.pays_at_or_below,
                  "pays_throughout": row.pays_throughout}
                 for row in analysis.rows]}
            for analysis in result.sensitivity
        ],
        "sensitivity_left_out": result.sensitivity_left_out,
        "uncertainty": [uncertainty_data(entry) for entry in result.uncertainty],
        "years": [
            {"service": row.service, "year": str(row.year), "completers": row.completers,
             "total_saving": whole(row.total_saving), "prudent_saving": whole(row.prudent_saving),
             "spend": None if row.spend is None else whole(row.spend),
             "net_saving": None if row.net_saving is None else whole(row.net_saving),
             "return_on_investment": maybe(ratio, row.return_on_investment)}
            for row in result.years
        ],
        "unit_costs_used": [unit_cost_data(used) for used in result.unit_costs_used],
        "unit_cost_tables": [{"file": table.file, "editions": list(table.editions), "costs": table.costs}
                             for table in result.cost_tables],
        "crosswalk": None if result.crosswalk is None else {
            "file": result.crosswalk.file, "codes_mapped": len(result.crosswalk.mapped),
            "mapped": [{"old_code": old, "new_code": new} for old, new in result.crosswalk.mapped]},
        "inputs": [{"path": item.path, "sha256": item.sha256} for item in result.inputs],
    }


def uncertainty_data(entry: uncertainty.Uncertainty) -> dict:
    """A service's intervals (``uncertainty.analyse``): money in whole pounds, returns as
    "6.98", shares and probabilities as exact decimal strings ("0.9700")."""
    def span(render, found: uncertainty.Interval | None):
        return None if found is None else {"low": render(found.low), "high": render(found.high)}

    def share(value: Decimal | None):
        return None if value is None else str(value)

    return {
        "service": entry.service, "year": str(entry.year), "level": str(entry.level),
        "resamples": entry.resamples, "seed": entry.seed, "exact": entry.seed is None,
        "completers": entry.completers, "small_cohort": entry.small_cohort,
        "assumptions_varied": entry.assumptions_varied, "prudent_resamples": entry.prudent_resamples,
        "gross": {"total_saving": span(whole, entry.total), "net_saving": span(whole, entry.net),
                  "return_on_investment": span(ratio, entry.return_per_pound),
                  "pays_for_itself": share(entry.pays_for_itself),
                  "break_even_completers": entry.break_even_completers,
                  "break_even_spend": maybe(whole, entry.break_even_spend)},
        "prudent": {"total_saving": span(whole, entry.prudent_total), "net_saving": span(whole, entry.prudent_net),
                    "return_on_investment": span(ratio, entry.financial_return),
                    "pays_for_itself": share(entry.prudent_pays_for_itself),
                    "break_even_completers": entry.prudent_break_even_completers,
                    "break_even_spend": maybe(whole, entry.prudent_break_even_spend)},
        "largest_case": entry.largest_case, "largest_case_share": str(entry.largest_case_share),
        "top_tenth_cases": entry.top_tenth_cases, "top_tenth_share": str(entry.top_tenth_share),
        "return_without_largest_case": maybe(ratio, entry.return_without_largest),
    }


def headline_data(headline) -> dict:
    return {"prudent_total": whole(headline.prudent_total), "net_saving": whole(headline.net_saving),
            "return_on_investment": ratio(headline.return_on_investment)}


def completion_data(summary: calculate.ServiceSummary | report.AllServices) -> dict:
    """Cost per completed case, and the completion rate with what it is a share of."""
    return {"cost_per_completer": maybe(pence, summary.cost_per_completer),
            "ended": summary.ended,
            "completion_rate": maybe(lambda share: f"{share}", summary.completion_rate)}


def all_services_data(together: report.AllServices | None) -> dict | None:
    if together is None:
        return None
    return {"services": [summary.service for summary in together.services], "year": str(together.year),
            "completers": together.completers, "total_saving": whole(together.total_saving),
            "spend_set": together.spend is not None, "spend": maybe(whole, together.spend),
            "net_saving": maybe(whole, together.net_saving),
            "return_on_investment": maybe(ratio, together.return_on_investment),
            "average_saving": whole(together.average_saving), **completion_data(together),
            "prudent": {"total_saving": whole(together.prudent_total),
                        "spend": maybe(whole, together.prudent_spend),
                        "net_saving": maybe(whole, together.prudent_net_saving),
                        "financial_return": maybe(ratio, together.financial_return)}}


def service_data(summary: calculate.ServiceSummary) -> dict:
    table = summary.participants
    return {
        "service": summary.service,
        "year": str(summary.year),
        "price_year": str(summary.price_year),
        "completers": summary.completers,
        "total_saving": whole(summary.total_saving),
        "spend_set": summary.spend is not None,
        "spend": maybe(whole, summary.spend),
        "net_saving": maybe(whole, summary.net_saving),
        "return_on_investment": maybe(ratio, summary.return_on_investment),
        "average_saving": whole(summary.average_saving),
        **completion_data(summary),
        "prudent": {
            "total_saving": whole(summary.prudent_total),
            "spend": maybe(whole, summary.prudent_spend),
            "net_saving": maybe(whole, summary.prudent_net_saving),
            "adjusted": summary.prudent_adjusted,
            "financial_return": maybe(ratio, summary.financial_return),
            "by_value_type": {name: whole(amount) for name, amount in summary.prudent_by_value_type.items()},
            "public_value": whole(summary.public_value),
            "public_value_ratio": maybe(ratio, summary.public_value_ratio),
            "net_present_budget_impact": maybe(whole, summary.prudent_net_saving),
            "payback_months": summary.payback_months,
            "by_agency": [{"agency": name, "saving": whole(amount)} for name, amount in summary.prudent_by_agency.items()],
            "by_locality": [{"locality": name, "saving": whole(amount)}
                            for name, amount in summary.prudent_by_locality.items()],
            "by_theme": [{"theme": name, "saving": whole(amount)} for name, amount in summary.prudent_by_theme.items()],
            "cashable_by_agency": [{"agency": name, "saving": whole(amount)}
                                   for name, amount in summary.cashable_by_agency.items()],
        },
        "participants": {
            "localities": list(table.localities),
            "rows": [
                {"category": row, "counts": dict(table.counts[row]), "total": table.total(row)}
                for row in table.rows
            ],
        },
        "by_agency": [{"agency": name, "saving": whole(amount)} for name, amount in summary.by_agency.items()],
        "by_locality": [{"locality": name, "saving": whole(amount)} for name, amount in summary.by_locality.items()],
        "by_theme": [{"theme": name, "saving": whole(amount)} for name, amount in summary.by_theme.items()],
        "cases": [case_data(case) for case in summary.cases],
    }


def case_data(case: calculate.CaseValuation) -> dict:
    return {
        "reference": case.reference,
        "locality": case.locality,
        "completed_on": case.completed_on.isoformat(),
        "total_saving": whole(case.total),
        "prudent_total_saving": whole(case.prudent_total),
        "lines": [line_data(line) for line in case.lines],
    }


def line_data(line: calculate.OutcomeLine) -> dict:
    return {
        "code": line.code,
        "description": line.description,
        "quantity": exact(line.quantity),
        "years": exact(line.years),
        "unit_value": exact(line.unit_value),
        "price_year": str(line.price_year),
        "uprating_factor": exact(line.uprating_factor),
        "saving": whole(line.saving),
        "agency": line.agency,
        "agency_shares": [{"agency": name, "saving": whole(amount)} for name, amount in line.agency_shares],
        "agency_note": line.agency_note,
        "theme": line.theme,
        "rag": line.rag,
        "start_month": line.start_month,
        "prudent": {
            "saving": whole(line.prudent_saving),
            "deadweight": exact(line.deadweight),
            "attribution": exact(line.attribution),
            "grade": line.grade,
            "optimism_bias": exact(line.optimism_bias),
            "drop_off": exact(line.drop_off),
            "discount_rate": exact(line.discount_rate),
            "years_factor": exact(line.years_factor),
            "economic": whole(line.prudent_economic),
            "social": whole(line.prudent_social),
            "transfer_share": exact(line.transfer_share),
            "transfer": whole(line.prudent_transfer),
            "adjustment_reason": line.adjustment_reason,
        },
    }


def unit_cost_data(used: report.UnitCostUsed) -> dict:
    cost = used.cost
    return {
        "code": cost.code,
        "description": cost.description,
        "unit": cost.unit,
        "agency": cost.agency,
        "theme": cost.theme,
        "fiscal_value": exact(cost.fiscal.amount),
        "price_year": str(cost.fiscal.price_year),
        "uprating_factor": exact(used.uprating_factor),
        "source": cost.source,
        "rag": cost.rag,
        "comment": cost.comment,
        "file": cost.origin,
        "edition": cost.edition,
    }


def changed_since_data(changed: report.ChangedSince) -> dict:
    """The cases changed since a date or an earlier report (``--changed-since``)."""
    return {
        "since": changed.since.isoformat(),
        "given": changed.given,
        "cases": [{"reference": case.reference, "service": case.service, "withdrawn": case.withdrawn,
                   "changes": [{"made": change.made.isoformat(), "kind": change.kind.value, "reason": change.reason,
                                "what": list(change.what), "tool": change.tool, "user": change.user}
                               for change in case.changes]}
                  for case in changed.cases],
        "files": None if changed.files is None else files_data(changed.files),
    }


def files_data(files: report.FilesCompared) -> dict:
    """The input files compared with an earlier report's checksums (``--changed-since REPORT``)."""
    def listed(found: tuple[report.FileChanged, ...]) -> list[dict]:
        return [{"file": item.path, "kind": item.kind, "state": item.state, "reference": item.reference or None,
                 "service": item.service or None} for item in found]

    return {"changed_outside_the_tool": listed(files.outside_tool), "added": listed(files.added),
            "gone": listed(files.gone), "inputs": listed(files.inputs),
            "case_files_differ_all_together": files.case_files_together}


def render(result: report.Report) -> str:
    data = to_data(result)
    if result.changed_since is not None:
        data["changed_since"] = changed_since_data(result.changed_since)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORECAST_SCHEMA = "up2u-cba/forecast/1"


def forecast_data(result: forecast.Forecast) -> dict:
    """A forecast as JSON: money in whole pounds, ratios and shares as exact decimal strings."""
    plan = result.plan
    return {
        "schema": FORECAST_SCHEMA,
        "made": result.made,
        "plan": {"service": plan.service, "places_a_year": plan.places, "spend_a_year": whole(plan.spend),
                 "spend_prices": None if plan.spend_prices is None else str(plan.spend_prices),
                 "spend_a_year_at_price_year": whole(result.spend_real), "years": plan.years,
                 "history_years": plan.history_years},
        "small_cohort": result.small_cohort,
        "years_to_completion": forecast.completion_year(result.months_to_complete),
        "cost_optimism_bias": exact(result.cost_optimism_bias),
        "assumptions": [{"assumption": name, "value": value, "source": note} for name, value, note in result.assumptions],
        "built_from": {"years": [str(year) for year in result.built_from], "completed": result.completed,
                       "ended": result.ended, "completion_rate": str(result.completion_rate),
                       "months_to_complete": str(result.months_to_complete),
                       "average_saving": pence(result.average_saving), "prudent_average": pence(result.prudent_average)},
        "price_year": str(result.price_year),
        "discount_rate": exact(result.discount_rate),
        "years": [{"year": year.index + 1,
                   "savings_count_in_year": year.index + 1 + forecast.completion_year(result.months_to_complete),
                   "expected_completers": str(year.completers),
                   "gross_saving": whole(year.gross_saving), "prudent_saving": whole(year.prudent_saving),
                   "spend": whole(year.spend), "prudent_spend": whole(year.prudent_spend)} for year in result.years],
        "totals": {"expected_completers": str(result.completers), "gross_saving": whole(result.gross_saving),
                   "prudent_saving": whole(result.prudent_saving), "spend": whole(result.spend),
                   "prudent_spend": whole(result.prudent_spend),
                   "net_present_budget_impact": whole(result.net_present_budget_impact),
                   "return_on_investment": ratio(result.return_on_investment),
                   "financial_return": ratio(result.financial_return), "payback_years": result.payback_year},
        "by_agency": {agency: whole(amount) for agency, amount in result.by_agency.items()},
        "prudent_by_agency": {agency: whole(amount) for agency, amount in result.prudent_by_agency.items()},
        "interval": {"level": str(result.level), "resamples": result.resamples, "seed": result.seed,
                     "assumptions_varied": result.assumptions_varied,
                     "return_on_investment": {"low": ratio(result.return_interval.low),
                                              "high": ratio(result.return_interval.high)},
                     "financial_return": {"low": ratio(result.prudent_return_interval.low),
                                          "high": ratio(result.prudent_return_interval.high)},
                     "net_present_budget_impact": {"low": whole(result.net_interval.low),
                                                   "high": whole(result.net_interval.high)},
                     "pays_for_itself": str(result.pays_for_itself),
                     "prudent_pays_for_itself": str(result.prudent_pays_for_itself)},
        "break_even_completers_a_year": {"gross": result.break_even_completers,
                                         "prudent": result.prudent_break_even_completers},
    }


def render_forecast(result: forecast.Forecast) -> str:
    return json.dumps(forecast_data(result), indent=2, ensure_ascii=False) + "\n"
