import base64
import io
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from pypdf import PdfWriter

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import user_get_by_username
from yingdu.accounts.services import (
    role_grant,
    totp_device_issue,
    trusted_actor,
    user_register,
)
from yingdu.actors import SYSTEM
from yingdu.enterprises import services as enterprise_services
from yingdu.enterprises.selectors import enterprise_of_user
from yingdu.metering import services as metering
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.works.services import WorkFacts, work_declare, work_details_record, work_release_record

STAFF = [
    ("reviewer", "审核员 王敏", Role.REVIEWER),
    ("approver", "审批员 李强", Role.APPROVER),
    ("finance", "财务 赵丽", Role.FINANCE),
    ("auditor", "审计员 陈杰", Role.AUDITOR),
    ("admin", "系统管理员 刘洋", Role.ADMIN),
    # a second person for the four-eyes steps (职责分离): reviewers uphold raising objections, finance officers revoke
    # and pay, admins reinstate and grant roles, each confirmed by another
    ("reviewer2", "审核员 黄蕾", Role.REVIEWER),
    ("finance2", "财务 郑涛", Role.FINANCE),
    ("admin2", "系统管理员 何静", Role.ADMIN),
]
ENTERPRISES = [
    # username, person, company, USCC (valid check digits), final state
    ("huairou_film", "张伟", "北京怀柔光影智能科技有限公司", "91110116MA01ABCD11", "verified"),
    ("yanqi_ai", "孙悦", "北京雁栖AI影视文化有限公司", "91110116MA02XYW3AC", "pending"),
    ("shentang_media", "周航", "北京神堂峪数字传媒有限公司", "91110116MA03QWER7P", "disqualified"),
    ("outside_co", "吴迪", "北京朝阳示例文化有限公司", "91110105MA04TEXT5N", "rejected"),
]
PROVIDER = ("provider_op", "钱程", "影都智算中心（示例）")
PROVIDER_USCC = "91110116MA05PRWD23"
# works already supported when the demo starts (title, form, overseas, days before the demo's start), so that the
# public statistics (/transparency/statistics/) have months, forms and overseas figures to chart
# works approved in the demo's past (with 云端来信 of the past quarter and 星河迷途 under review: five works, the
# annual limit): title, form, overseas
DEMO_SUPPORTED = [
    ("长城以北", "short_drama", True),
    ("雁栖湖畔", "micro_drama", False),
    ("影都少年", "micro_drama", True),
]
DEMO_CATALOGUE = [
    ("gpu-a100-hour", "A100 GPU 卡时", "compute", "卡时", 800),
    ("video-gen-second", "视频生成（每秒成片）", "model_service", "秒", 30),
    ("tts-1k-chars", "配音合成（千字）", "model_service", "千字", 50),
]


SHANGHAI = ZoneInfo("Asia/Shanghai")
PAST_WORK_TAG = "yundan-demo"


@dataclass(frozen=True)
class DemoStory:
    """The demo's moments, relative to the end of the last ended quarter (00:00 Beijing time of the current quarter's
    first day), so that on any date the programme started in a quarter that has ended: a work of that quarter was
    approved (a voucher issued: a draw candidate) and a checkpoint signed before its end, and the auditor can draw it.
    Every quarter has at least 90 days, so every moment below lies inside it."""

    quarter_end_at: datetime

    @classmethod
    def before(cls, now: datetime) -> "DemoStory":
        today = now.astimezone(SHANGHAI).date()
        quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return cls(quarter_end_at=datetime.combine(quarter_start, time.min, SHANGHAI))

    def days_before_end(self, days: int, hour: int = 10) -> datetime:
        return self.quarter_end_at - timedelta(days=days) + timedelta(hours=hour)

    @property
    def setup_at(self) -> datetime:
        return self.days_before_end(80, hour=9)

    @property
    def checkpoint_at(self) -> datetime:
        """The checkpoint the quarter's draw takes its seed from: signed in the quarter's last hours."""
        return self.quarter_end_at - timedelta(hours=2)


def _demo_pdf() -> bytes:
    """A blank one-page A4 PDF: uploads are decoded (yingdu.files), so the demo's files must be real ones."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _demo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (390, 240), (245, 246, 248)).save(buffer, format="PNG")
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Load demo data (idempotent; development only) and print the demo logins."

    def handle(self, *args, **options):
        if not settings.DEVELOPMENT:
            raise CommandError("demo data is only loaded in development (YINGDU_ENV is production)")
        credentials_path = Path(settings.VAR_DIR) / "demo_credentials.json"
        credentials = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
        now = timezone.now()
        # the programme starts in the last ended quarter, so that its draw can be shown on any date (DemoStory)
        story = DemoStory.before(now)
        setup_at = story.setup_at
        with transaction.atomic():
            password = credentials.setdefault("password", "Demo-" + secrets.token_urlsafe(9))
            admin = self._user(credentials, "admin", "系统管理员 刘洋", password, setup_at)
            for username, name, role in STAFF:
                user = self._user(credentials, username, name, password, setup_at)
                role_grant(user=user, role=role, actor=SYSTEM, now=setup_at)
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                if device is None:
                    device = totp_device_issue(user=user, name="演示身份验证器", actor=SYSTEM, now=setup_at)
                credentials.setdefault("totp", {})[username] = base64.b32encode(device.bin_key).decode().rstrip("=")
            reviewer = trusted_actor(user_get_by_username("reviewer"))
            auditor = trusted_actor(user_get_by_username("auditor"))
            trusted_actor(admin)
            for username, person, company, uscc, state in ENTERPRISES:
                self._enterprise(credentials, username, person, company, uscc, state, password, reviewer, auditor,
                                 setup_at)
            provider_setup = self._provider(credentials, password, setup_at, admin)
            past_application = None
            if provider_setup is not None:
                past_application = self._past_quarter_work(*provider_setup, story)
                self._demo_usage(*provider_setup, now)
        if past_application is not None:
            self._past_quarter_decision(past_application, story)
        with transaction.atomic():
            review_started = self._application(now)
        self._supported_works(now, story)
        if review_started is not None:
            self._data_notice(review_started, now)
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
        licence = SimpleUploadedFile("营业执照.pdf", _demo_pdf(), content_type="application/pdf")
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

    def _provider(self, credentials, password, now, admin):
        username, person, name = PROVIDER
        if user_get_by_username(username) is not None:
            credentials.setdefault("users", {})[username] = person
            return None
        operator = trusted_actor(self._user(credentials, username, person, password, now))
        provider = metering.provider_register(name=name, uscc=PROVIDER_USCC, is_local=True, operator=operator,
                                              actor=admin, now=now)
        operator.refresh_from_db()
        trusted_actor(operator)
        private_key = Ed25519PrivateKey.generate()
        key_path = Path(settings.VAR_DIR) / "demo_provider.key"
        key_path.write_text(base64.b64encode(
            private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode() + "\n")
        key_path.chmod(0o600)
        public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        # the key and the prices take effect when the demo programme starts (``now`` here is the story's start)
        signing_key = metering.signing_key_add(
            provider=provider, public_key_base64=base64.b64encode(public_key).decode(), label="演示签名密钥",
            valid_from=now, valid_until=None, actor=operator, now=now)
        for sku, sku_name, category, unit, price in DEMO_CATALOGUE:
            metering.catalogue_price_add(provider=provider, sku=sku, name=sku_name, category=category, unit=unit,
                                         price_fen=price, effective_from=now, actor=operator, now=now)
        _key, api_key = metering.api_key_create(provider=provider, label="演示上报", actor=operator, now=now)
        credentials["provider"] = {"api_key": api_key, "key_file": str(key_path), "key_id": signing_key.key_id}
        return private_key, signing_key.key_id, provider

    def _demo_usage(self, private_key, key_id, provider, now):
        """A work of the verified demo enterprise, and a few weeks of signed usage pushed through ingestion."""
        from yingdu.push import signed_batch

        enterprise = enterprise_of_user(user_get_by_username("huairou_film"))
        member = trusted_actor(enterprise.registered_by)
        start = timezone.localdate(now) - timedelta(days=40)
        work_declare(enterprise=enterprise, actor=member, title="星河迷途", form="micro_drama",
                     project_tag="xinghe-2026", production_start_on=start, production_end_on=start + timedelta(days=90),
                     now=now)
        records = []
        for day in range(30):
            began = now - timedelta(days=30 - day, hours=3)
            for job, (sku, quantity) in enumerate((("gpu-a100-hour", "6.5"), ("video-gen-second", "120"))):
                records.append({
                    "record_id": f"demo-{day:02d}-{job}", "enterprise_uscc": enterprise.uscc,
                    "project_tag": "xinghe-2026", "sku": sku, "quantity": quantity,
                    "started_at": began.isoformat(), "ended_at": (began + timedelta(hours=2)).isoformat(),
                    "node_id": f"node-{day % 4}", "gpu_id": f"GPU-{day % 8}"})
        body = signed_batch(records, private_key)
        usage_batch_ingest(provider=provider, key_id=key_id, records=body["records"],
                           batch_signature=body["batch_signature"], now=now)

    def _past_quarter_work(self, private_key, key_id, provider, story: DemoStory):
        """《云端来信》 of the verified enterprise, made in the last ended quarter: declared, metered, released and
        applied for, in review before the quarter's last month (its approval follows, outside this transaction)."""
        from yingdu.applications import services as applications
        from yingdu.push import signed_batch

        enterprise = enterprise_of_user(user_get_by_username("huairou_film"))
        if enterprise is None or enterprise.works.filter(project_tag=PAST_WORK_TAG).exists():
            return None
        member = trusted_actor(enterprise.registered_by)
        reviewer = trusted_actor(user_get_by_username("reviewer"))
        declared_at = story.days_before_end(75)
        work = work_declare(
            enterprise=enterprise, actor=member, title="云端来信", form="micro_drama", project_tag=PAST_WORK_TAG,
            production_start_on=declared_at.astimezone(SHANGHAI).date(),
            production_end_on=story.days_before_end(45).astimezone(SHANGHAI).date(), now=declared_at)
        work_details_record(work=work, actor=member, title=work.title, form=work.form, now=declared_at, facts=WorkFacts(
            episode_count=40, episode_min_seconds=60, episode_max_seconds=120, aspect_ratio="9:16",
            ai_techniques=["script_generation", "video_generation", "voice_synthesis"], overseas_titles=[]))
        records = []
        for day in range(20):
            began = story.days_before_end(72 - day, hour=1)
            for job, (sku, quantity) in enumerate((("gpu-a100-hour", "5"), ("video-gen-second", "90"))):
                records.append({
                    "record_id": f"demo-past-{day:02d}-{job}", "enterprise_uscc": enterprise.uscc,
                    "project_tag": PAST_WORK_TAG, "sku": sku, "quantity": quantity,
                    "started_at": began.isoformat(), "ended_at": (began + timedelta(hours=2)).isoformat(),
                    "node_id": f"node-{day % 4}", "gpu_id": f"GPU-{day % 8}"})
        body = signed_batch(records, private_key)
        usage_batch_ingest(provider=provider, key_id=key_id, records=body["records"],
                           batch_signature=body["batch_signature"], now=story.days_before_end(50))
        went_live_on = story.days_before_end(42).astimezone(SHANGHAI).date()
        work_release_record(
            work=work, actor=member, platform="hongguo", url="https://hongguo.example.cn/drama/yundan",
            went_live_on=went_live_on, licence_number=f"（京）网剧审字（{went_live_on.year}）第061号",
            screenshot=SimpleUploadedFile("上线截图.png", _demo_png(), content_type="image/png"),
            now=story.days_before_end(41))
        applied_at = story.days_before_end(40)
        application = applications.application_create(work=work, actor=member, now=applied_at)
        applications.application_material_upload(
            application=application, code="authenticity_commitment", actor=member, now=applied_at,
            upload=SimpleUploadedFile("真实性承诺书.pdf", _demo_pdf(), content_type="application/pdf"))
        application = applications.application_submit(application=application, actor=member, now=applied_at)
        application = applications.application_accept(application=application, actor=reviewer,
                                                      now=story.days_before_end(39), reason="材料齐全，予以受理")
        return applications.application_start_review(application=application, actor=reviewer,
                                                     now=story.days_before_end(38), issue_data_notice=False)

    def _past_quarter_decision(self, application, story: DemoStory):
        """The usage statement of 《云端来信》, its approval (a voucher issued: the quarter's draw candidate) after the
        objection window, and the checkpoint signed in the quarter's last hours (the draw's seed)."""
        from yingdu.applications import services as applications
        from yingdu.errors import DomainError
        from yingdu.notices.services import data_notice_issue
        from yingdu.transparency.services import checkpoint_sign

        work = application.work
        try:
            data_notice_issue(work=work, period_start_on=work.production_start_on,
                              period_end_on=work.production_end_on, actor=SYSTEM, now=story.days_before_end(37))
        except DomainError as error:
            # a year with only a provisional calendar: the notice is owed and the approval goes ahead without it
            self.stderr.write(f"the past quarter's data notice was not issued: {error.code}: {error.message}")
        try:
            applications.application_approve(application=application, now=story.days_before_end(20),
                                             actor=trusted_actor(user_get_by_username("approver")),
                                             reason="符合条件，予以支持")
        except DomainError as error:
            self.stderr.write(f"the past quarter's work was not approved: {error.code}: {error.message}")
        checkpoint_sign(now=story.checkpoint_at)

    def _application(self, now):
        """星河迷途 released, with one application in review (submitted, accepted and reviewed in the last days),
        so that a newcomer can approve it as `approver` (who did not review it: four-eyes)."""
        from yingdu.applications import services as applications
        from yingdu.applications.models import Application

        enterprise = enterprise_of_user(user_get_by_username("huairou_film"))
        work = enterprise.works.filter(project_tag="xinghe-2026").first() if enterprise else None
        if work is None or Application.objects.filter(work=work).exists():
            return None
        member = trusted_actor(enterprise.registered_by)
        reviewer = trusted_actor(user_get_by_username("reviewer"))
        if not work.details_revisions.exists():
            work_details_record(work=work, actor=member, title=work.title, form=work.form, now=now, facts=WorkFacts(
                episode_count=60, episode_min_seconds=75, episode_max_seconds=150, aspect_ratio="9:16",
                ai_techniques=["script_generation", "digital_human", "video_generation", "voice_synthesis"],
                overseas_titles=["Lost Among the Stars"]))
        if not work.releases.exists():
            went_live_on = timezone.localdate(now) - timedelta(days=14)
            work_release_record(
                work=work, actor=member, platform="hongguo", url="https://hongguo.example.cn/drama/xinghe-2026",
                went_live_on=went_live_on, licence_number=f"（京）网剧审字（{went_live_on.year}）第088号",
                screenshot=SimpleUploadedFile("上线截图.png", _demo_png(), content_type="image/png"), now=now)
        # the workflow of the last days: the review clock has run for a week and a half when the demo starts
        application = applications.application_create(work=work, actor=member, now=now - timedelta(days=11))
        applications.application_material_upload(
            application=application, code="authenticity_commitment", actor=member, now=now - timedelta(days=11),
            upload=SimpleUploadedFile("真实性承诺书.pdf", _demo_pdf(), content_type="application/pdf"))
        application = applications.application_submit(application=application, actor=member,
                                                      now=now - timedelta(days=11))
        application = applications.application_accept(application=application, actor=reviewer,
                                                      now=now - timedelta(days=10), reason="材料齐全，予以受理")
        return applications.application_start_review(application=application, actor=reviewer,
                                                     now=now - timedelta(days=9), issue_data_notice=False)

    def _supported_works(self, now, story: DemoStory):
        """Works approved in the past months through the whole workflow (usage, release, data notice, review,
        approval and its voucher), a confirmed redemption for each; then the public figures at a checkpoint."""
        from yingdu.applications import services as applications
        from yingdu.publicity.services import statistics_snapshot_take
        from yingdu.push import signed_batch
        from yingdu.vouchers.models import Voucher
        from yingdu.vouchers.redemptions import redemption_code_create, redemption_submit

        enterprise = enterprise_of_user(user_get_by_username("huairou_film"))
        key_path = Path(settings.VAR_DIR) / "demo_provider.key"
        if enterprise is None or enterprise.works.filter(project_tag="supported-1").exists() or not key_path.exists():
            statistics_snapshot_take(now=now)
            return
        from yingdu.metering.models import Provider

        provider = Provider.objects.get(uscc=PROVIDER_USCC)
        operator = trusted_actor(user_get_by_username(PROVIDER[0]))
        private_key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_path.read_text()))
        key_id = provider.signing_keys.order_by("pk").first().key_id
        member = trusted_actor(enterprise.registered_by)
        reviewer = trusted_actor(user_get_by_username("reviewer"))
        approver = trusted_actor(user_get_by_username("approver"))
        # the demo's prices and signing key start when the programme does (DemoStory.setup_at, at least 80 days
        # before now): each work is made, released, applied for and approved within those days
        for number, (title, form, overseas) in enumerate(DEMO_SUPPORTED, start=1):
            worked = story.setup_at + timedelta(days=1 + (number - 1) * 15, hours=number)
            decided = worked + timedelta(days=25)
            work = work_declare(enterprise=enterprise, actor=member, title=title, form=form,
                                project_tag=f"supported-{number}", production_start_on=timezone.localdate(worked),
                                production_end_on=timezone.localdate(decided), now=worked, facts=WorkFacts(
                                    episode_count=40 + number * 10, episode_min_seconds=70 if form == "micro_drama"
                                    else 600, episode_max_seconds=150 if form == "micro_drama" else 1100,
                                    aspect_ratio="9:16" if form == "micro_drama" else "16:9",
                                    ai_techniques=["script_generation", "video_generation"],
                                    overseas_titles=[f"Demo Title {number}"] if overseas else []))
            records = [{"record_id": f"supported-{number}-{job}", "enterprise_uscc": enterprise.uscc,
                        "project_tag": work.project_tag, "sku": sku, "quantity": quantity,
                        "started_at": (worked + timedelta(hours=job * 3)).isoformat(),
                        "ended_at": (worked + timedelta(hours=job * 3 + 2)).isoformat(),
                        "node_id": f"node-{job}", "gpu_id": f"GPU-{job}"}
                       for job, (sku, quantity) in enumerate((("gpu-a100-hour", f"{number * 900}.5"),
                                                              ("video-gen-second", f"{number * 4000}")))]
            body = signed_batch(records, private_key)
            usage_batch_ingest(provider=provider, key_id=key_id, records=body["records"],
                               batch_signature=body["batch_signature"], now=worked + timedelta(hours=8))
            went_live_on = timezone.localdate(worked + timedelta(days=16))
            submitted = worked + timedelta(days=18)
            work_release_record(
                work=work, actor=member, platform="hongguo", url=f"https://hongguo.example.cn/drama/supported-{number}",
                went_live_on=went_live_on, licence_number=f"（京）网剧审字（{went_live_on.year}）第1{number:02d}号",
                screenshot=SimpleUploadedFile("上线截图.png", _demo_png(), content_type="image/png"), now=submitted)
            if overseas:
                from yingdu.works.services import work_distribution_record

                work_distribution_record(
                    work=work, actor=member, territory="美国", platform="reelshort", listed_title=f"Demo Title {number}",
                    went_live_on=went_live_on, now=submitted,
                    agreement=SimpleUploadedFile("发行协议.pdf", _demo_pdf(), content_type="application/pdf"),
                    listing_evidence=SimpleUploadedFile("海外上线.pdf", _demo_pdf(), content_type="application/pdf"))
            application = applications.application_create(work=work, actor=member, now=submitted,
                                                          overseas_claimed=overseas)
            # the overseas materials are those of the distribution record
            applications.application_material_upload(
                application=application, code="authenticity_commitment", actor=member, now=submitted,
                upload=SimpleUploadedFile("真实性承诺书.pdf", _demo_pdf(), content_type="application/pdf"))
            application = applications.application_submit(application=application, actor=member, now=submitted)
            application = applications.application_accept(application=application, actor=reviewer, now=submitted,
                                                          reason="材料齐全，予以受理")
            application = applications.application_start_review(application=application, actor=reviewer,
                                                               now=submitted + timedelta(days=1))
            applications.application_approve(application=application, actor=approver, now=decided,
                                             reason="符合条件")
            voucher = Voucher.objects.get(application_id=application.pk)
            redeemed = decided + timedelta(days=3)
            if redeemed < now:
                amount = voucher.amount_fen // (number + 1)
                code = redemption_code_create(voucher=voucher, actor=member, now=redeemed, provider=provider,
                                              max_amount_fen=amount)
                redemption_submit(provider=provider, voucher_number=voucher.number, code=code.text,
                                  order_ref=f"DEMO-{number:03d}", category="compute", amount_fen=amount,
                                  description="算力服务", actor=operator, now=redeemed)
        statistics_snapshot_take(now=now)

    def _data_notice(self, application, now):
        """The usage statement behind the amount under review (outside the demo's transaction, as it e-mails)."""
        from yingdu.errors import DomainError
        from yingdu.notices.services import data_notice_issue

        work = application.work
        try:
            data_notice_issue(work=work, period_start_on=work.production_start_on,
                              period_end_on=min(work.production_end_on, timezone.localdate(now)), actor=SYSTEM,
                              now=now)
        except DomainError as error:
            self.stderr.write(f"data notice not issued: {error.message}")

    def _print(self, credentials):
        self.stdout.write("\n演示账户（仅开发环境）/ demo logins (development only)")
        self.stdout.write(f"  所有账户密码 / password for all: {credentials['password']}")
        for username, name in credentials["users"].items():
            line = f"  {username:<16} {name}"
            if username in credentials.get("totp", {}):
                line += f"   TOTP 密钥 {credentials['totp'][username]}  (当前验证码: yingdu otp_code {username})"
            self.stdout.write(line)
        provider = credentials.get("provider")
        if provider:
            self.stdout.write(f"  服务商 API 密钥 / provider API key: {provider['api_key']}")
            self.stdout.write(f"  服务商签名私钥 / signing key file: {provider['key_file']} (key id {provider['key_id']})")
        self.stdout.write("")
