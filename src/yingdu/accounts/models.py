from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE_MEMBER = "enterprise_member", _("企业成员")
    PROVIDER_OPERATOR = "provider_operator", _("算力服务商操作员")
    REVIEWER = "reviewer", _("审核员")
    APPROVER = "approver", _("审批员")
    FINANCE = "finance", _("财务")
    AUDITOR = "auditor", _("审计员")
    ADMIN = "admin", _("系统管理员")


STAFF_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.AUDITOR, Role.ADMIN})


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PROVIDER = "provider", _("算力服务商")


class Organisation(models.Model):
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=100, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    # Salt of the commitments that stand for this user's login name, contact details, password hash and TOTP secret
    # in log entries (transparency.services.commitment).
    commitment_salt = models.CharField(max_length=64, blank=True)
    # Set when someone else generated the password (an operator's command, an admin creating a provider operator):
    # until the user chooses their own, every page leads to the password change.
    must_change_password = models.BooleanField("须修改密码", default=False)
    # The login name's case-insensitive key and its TR39 skeleton (accounts.identity); both unique, so that no two
    # names differ only by case, width or look-alike letters. Null only for a name that collided before the rule.
    username_key = models.CharField(max_length=150, unique=True, null=True, blank=True, editable=False)
    username_skeleton = models.CharField(max_length=600, unique=True, null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    """A staff role held by a user; revoking ends it, the row stays as history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    grant_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(revoked_at__isnull=True), name="one_active_grant_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AccountStatusChange(models.Model):
    """A deactivation or reactivation of a login, with who, when and why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="status_changes")
    is_active = models.BooleanField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.user} · {'reactivated' if self.is_active else 'deactivated'}"


class LinkedIdentity(models.Model):
    """An OpenID Connect identity (issuer and subject) that signs in as this user; linked once, on purpose."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="linked_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_identity"),
            models.UniqueConstraint(fields=["user", "issuer"], name="one_identity_per_user_and_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.issuer}"
