from __future__ import annotations

from django_tasks import task

from defensa.hotline.models import Report
from defensa.incidents import clustering, dispatching


def report_received(pk: int) -> None:
    """settings.DEFENSA_REPORT_HANDLERS: a report was stored or learned more (after commit)."""
    cluster.enqueue(pk)


@task()
def cluster(pk: int) -> str:
    report = Report.objects.filter(pk=pk).first()
    if report is None:
        return "gone"
    incident = clustering.cluster_report(report=report)
    return str(incident.code) if incident else "no place yet"


@task()
def cluster_left_behind() -> int:
    """The safety net: reports a killed worker left unplaced."""
    placed = 0
    for pk in clustering.unclustered():
        report = Report.objects.filter(pk=pk).first()
        if report is not None and clustering.cluster_report(report=report) is not None:
            placed += 1
    return placed


@task()
def escalate_dispatches() -> int:
    """Requests nobody answered in time go to the next nearest confirmer."""
    return dispatching.escalate_due()
