"""Test clients logged in as a given user, with or without a passed two-factor check."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.services import trusted_actor


def client_for(user, *, two_factor: bool = True, enforce_csrf_checks: bool = False) -> Client:
    """A client whose session is logged in as ``user``; staff sessions pass two-factor unless told not to."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if two_factor and device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def verified(user):
    """The same user as a service actor that passed two-factor (as a request through the middleware would)."""
    return trusted_actor(user)
