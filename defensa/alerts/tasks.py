from __future__ import annotations

from django_tasks import task

from defensa.alerts import actions, confirm_call, subscriptions


@task()
def expire_alerts() -> int:
    """Alerts whose time ran out are marked expired (the public pages already say so)."""
    return actions.expire_due()


@task()
def forget_unconfirmed_subscriptions() -> int:
    """E-mail and phone-call sign-ups never confirmed in time lose their sealed address."""
    return subscriptions.forget_unconfirmed()


@task()
def call_to_confirm(code: str) -> bool:
    """Call a number typed on the web for phone-call alerts, to ask its owner to press 1."""
    return confirm_call.place_call(code=code)
