"""Demo incidents: the demo's reports grouped the way the hotline groups every report."""

from __future__ import annotations

from defensa.hotline.models import Report
from defensa.incidents import clustering


def load() -> int:
    placed = 0
    for report in Report.objects.order_by("received_at"):
        if clustering.cluster_report(report=report) is not None:
            placed += 1
    return placed
