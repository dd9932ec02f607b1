import base64
import json
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.selectors import user_get_by_username
from yingdu.accounts.services import (
    organisation_add_member, organisation_create, role_grant, trusted_actor, user_register,
)
from yingdu.enterprises import services as enterprise_services

STAFF = [
    ("reviewer", "审核员 王敏", Role.REVIEWER),
    ("approver", "审批员 李强", Role.APPROVER),
    ("finance", "财务 赵丽", Role.FINANCE),
    ("auditor", "审计员 陈杰", Role.AUDITOR),
    ("admin", "系统管理员 刘洋", Role.ADMIN),
]
ENTERPRISES = [
    # username, person, company, USCC (valid check digits), final state
    ("huairou_film", "张伟", "北京怀柔光影智能科技有限公司", "91110116MA01ABCD11", "verified"),
    ("yanqi_ai", "孙悦", "北京雁栖AI影视文化有限公司", "91110116MA02XYW3AC", "pending"),
    ("shentang_media", "周航", "北京神堂峪数字传媒有限公司", "91110116MA03QWER7P", "disqualified"),
    ("outside_co", "吴迪", "北京朝阳示例文化有限公司", "91110105MA04TEXT5N", "rejected"),
]
PROVIDER = ("provider_op", "钱程", "影都智算中心（示例）")
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Command(BaseCommand):
    help = "Load demo data (idempotent; development only) and print the demo logins."

    def handle(self, *args, **options):
        if not settings.DEVELOPMENT:
            raise CommandError("demo data is only loaded in development (YINGDU_ENV is production)")
        credentials_path = Path(settings.VAR_DIR) / "demo_credentials.json"
        credentials = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
        now = timezone.now()
        with transaction.atomic():
            password = credentials.setdefault("password", "Demo-" + secrets.token_urlsafe(9))
            admin = self._user(credentials, "admin", "系统管理员 刘洋", password, now)
            for username, name, role in STAFF:
                user = self._user(credentials, username, name, password, now)
                role_grant(user=user, role=role, actor=None, now=now)
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                if device is None:
                    device = TOTPDevice.objects.create(user=user, name="演示身份验证器", confirmed=True)
                credentials.setdefault("totp", {})[username] = base64.b32encode(device.bin_key).decode().rstrip("=")
            reviewer = trusted_actor(user_get_by_username("reviewer"))
            auditor = trusted_actor(user_get_by_username("auditor"))
            trusted_actor(admin)
            for username, person, company, uscc, state in ENTERPRISES:
                self._enterprise(credentials, username, person, company, uscc, state, password, reviewer, auditor, now)
            self._provider(credentials, password, now)
        credentials_path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2))
        credentials_path.chmod(0o600)
        self._print(credentials)

    def _user(self, credentials, username, name, password, now):
        user = user_get_by_username(username)
        if user is None:
            user = user_register(username=username, password=password, display_name=name, now=now)
        credentials.setdefault("users", {})[username] = name
        return user

    def _enterprise(self, credentials, username, person, company, uscc, state, password, reviewer, auditor, now):
        if user_get_by_username(username) is not None:
            credentials.setdefault("users", {})[username] = person
            return
        user = self._user(credentials, username, person, password, now)
        details = enterprise_services.EnterpriseDetails(
            name=company, uscc=uscc, registered_address="北京市怀柔区雁栖镇影都大道1号",
            legal_representative=person, contact_name=person, contact_phone="13800138000",
        )
        licence = SimpleUploadedFile("营业执照.pdf", DEMO_PDF, content_type="application/pdf")
        enterprise = enterprise_services.enterprise_register(user=user, details=details, licence=licence, now=now)
        if state in {"verified", "disqualified"}:
            enterprise = enterprise_services.enterprise_verify(
                enterprise=enterprise, actor=reviewer, huairou_confirmed=True, now=now, reason="营业执照注册地为怀柔区")
        if state == "disqualified":
            enterprise_services.enterprise_disqualify(
                enterprise=enterprise, actor=auditor, reason="演示：抽查发现虚报算力用量", effective_on=timezone.localdate(now), now=now)
        if state == "rejected":
            enterprise_services.enterprise_reject(
                enterprise=enterprise, actor=reviewer, reason="注册地不在怀柔区", now=now)

    def _provider(self, credentials, password, now):
        username, person, name = PROVIDER
        if user_get_by_username(username) is not None:
            credentials.setdefault("users", {})[username] = person
            return
        user = self._user(credentials, username, person, password, now)
        organisation = organisation_create(kind=OrganisationKind.PROVIDER, name=name, now=now)
        organisation_add_member(organisation=organisation, user=user)

    def _print(self, credentials):
        self.stdout.write("\n演示账户（仅开发环境）/ demo logins (development only)")
        self.stdout.write(f"  所有账户密码 / password for all: {credentials['password']}")
        for username, name in credentials["users"].items():
            line = f"  {username:<16} {name}"
            if username in credentials.get("totp", {}):
                line += f"   TOTP 密钥 {credentials['totp'][username]}  (当前验证码: yingdu otp_code {username})"
            self.stdout.write(line)
        self.stdout.write("")
