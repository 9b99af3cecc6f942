from __future__ import annotations

from django_tasks import task

from defensa.hotline import actions
from defensa.hotline.models import Report


@task()
def locate_report(pk: int) -> bool:
    report = Report.objects.filter(pk=pk).first()
    if report is None:
        return False
    actions.locate(report=report)
    return True


@task()
def forget_seen_messages() -> int:
    return actions.forget_seen_messages()
