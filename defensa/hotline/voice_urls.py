"""Twilio Voice webhooks for the phone menu (kept apart from the staff pages' URLs)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "voice"

urlpatterns: list[URLPattern] = []
