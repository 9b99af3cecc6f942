from __future__ import annotations

from django_tasks import task

from defensa.hotline import actions, fetching
from defensa.hotline.models import MediaFetch, Report


@task()
def locate_report(pk: int) -> bool:
    report = Report.objects.filter(pk=pk).first()
    if report is None:
        return False
    actions.locate(report=report)
    return True


@task()
def fetch_media(pk: int) -> str:
    item = MediaFetch.objects.filter(pk=pk).first()
    if item is None:
        return "gone"
    return fetching.fetch(item)


@task()
def fetch_due_media() -> int:
    """The safety net for files a killed worker left, and retries that came due."""
    return fetching.fetch_due()


@task()
def forget_finished_fetches() -> int:
    return fetching.forget_finished()


@task()
def forget_expired_conversations() -> int:
    """Text conversations last DEFENSA_CONVERSATION_MINUTES; then who was talking is gone."""
    return actions.forget_expired_conversations()
