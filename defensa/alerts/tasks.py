from __future__ import annotations

from django_tasks import task

from defensa.alerts import actions, subscriptions


@task()
def expire_alerts() -> int:
    """Alerts whose time ran out are marked expired (the public pages already say so)."""
    return actions.expire_due()


@task()
def forget_unconfirmed_subscriptions() -> int:
    """E-mail sign-ups never confirmed in time lose their sealed address."""
    return subscriptions.forget_unconfirmed()
