"""Which stored cases a command picks: by service, locality, the financial year they were active
in, their current status and their reference. One filter for `case list` and `intake export`,
so that the same options pick the same cases in both."""

from __future__ import annotations

import dataclasses

from up2u_cba import models
from up2u_cba.method import calculate


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which cases are picked: every filter given must match (None or empty: not filtered)."""

    service: str | None = None
    locality: str | None = None
    year: models.FinancialYear | None = None
    """Cases active in the year: referred by its end, not completed or closed before it began."""
    status: models.Status | None = None
    """Cases whose latest status is this."""
    references: tuple[str, ...] = ()

    def picks(self, record: models.CaseRecord) -> bool:
        """Whether ``record`` passes every filter (names and references in any case)."""
        wanted = {reference.strip().upper() for reference in self.references}
        return ((not wanted or record.reference.upper() in wanted)
                and (not self.service or record.service.lower() == self.service.lower())
                and (not self.locality or record.locality.lower() == self.locality.lower())
                and (not self.status or record.history[-1].status is self.status)
                and (not self.year or calculate.participant_row(record, self.year) is not None))

    def describe(self) -> str:
        """The filters, as a message names them: ``service BCP; active in 2022/23``."""
        parts = ([f"service {self.service}"] if self.service else []) + \
                ([f"locality {self.locality}"] if self.locality else []) + \
                ([f"active in {self.year}"] if self.year else []) + \
                ([f"now {self.status.value}"] if self.status else []) + \
                ([f"reference {', '.join(self.references)}"] if self.references else [])
        return "; ".join(parts) if parts else "every stored case (withdrawn ones aside)"


def select(records: list[models.CaseRecord], selection: Selection) -> list[models.CaseRecord]:
    """The cases of ``records`` that ``selection`` picks, by service and reference."""
    return sorted((record for record in records if selection.picks(record)),
                  key=lambda record: (record.service, record.reference))
