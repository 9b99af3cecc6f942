from __future__ import annotations

from django_tasks import task

from defensa.messaging import delivery, inbound
from defensa.messaging.models import OutgoingMessage


@task()
def deliver_message(pk: int) -> str:
    message = OutgoingMessage.objects.filter(pk=pk).first()
    if message is None:
        return "gone"
    return delivery.deliver(message)


@task()
def deliver_due_messages() -> int:
    """The safety net: retries that came due, and messages a killed worker left claimed."""
    return delivery.deliver_due()


@task()
def forget_old_messages() -> int:
    return delivery.forget_old_messages() + inbound.forget_seen()
