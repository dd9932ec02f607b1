"""`yingdu admin_create USERNAME`: the first administrator of a deployment, created through the services (log entries)."""

import base64
import getpass
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.accounts.services import role_grant, totp_device_issue, user_register
from yingdu.actors import SYSTEM
from yingdu.errors import DomainError


class Command(BaseCommand):
    help = ("Create an administrator (the platform's admin role and an authenticator), each step a log entry. "
            "Django's createsuperuser writes behind the log's back and grants no platform role: use this instead.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--generate-password", action="store_true",
                            help="generate a password and print it once, instead of asking for one")

    def handle(self, *args, **options):
        if options["generate_password"]:
            password = "Admin-" + secrets.token_urlsafe(12)
        else:
            password = getpass.getpass("密码 / password: ")
            if password != getpass.getpass("再次输入 / again: "):
                raise CommandError("两次输入的密码不一致 / the passwords differ")
        now = timezone.now()
        try:
            with transaction.atomic():
                user = user_register(username=options["username"], password=password, email=options["email"],
                                     display_name=options["display_name"],
                                     must_change_password=options["generate_password"], now=now)
                role_grant(user=user, role=Role.ADMIN, actor=SYSTEM, now=now)
                device = totp_device_issue(user=user, name="管理员身份验证器", actor=SYSTEM, now=now)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        self.stdout.write(f"administrator {user.username} created (user {user.pk})")
        if options["generate_password"]:
            self.stdout.write(f"password: {password} (to be changed at first login)")
        self.stdout.write(f"TOTP secret (add it to an authenticator app): {secret}")
