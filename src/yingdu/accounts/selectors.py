"""Reads about users, organisations and roles, and the effective roles of a request's user."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from .identity import username_key, username_normalise
from .models import STAFF_ROLES, LinkedIdentity, OrganisationKind, Role, RoleGrant, User


def user_is_otp_verified(user) -> bool:
    """True when the session passed a TOTP check (set by django-otp's middleware, or trusted_actor)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def user_granted_staff_roles(user) -> frozenset[str]:
    """Staff roles granted to the user, whether or not this session passed two-factor."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_granted_staff_roles", None)
    if cached is None:
        cached = frozenset(
            RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True)
        )
        user._granted_staff_roles = cached
    return cached


def user_is_staff_member(user) -> bool:
    return bool(user_granted_staff_roles(user))


def user_roles(user) -> frozenset[str]:
    """Roles the user may act in now: staff roles only after two-factor, organisation roles always."""
    roles: set[str] = set()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user_is_otp_verified(user):
        roles |= user_granted_staff_roles(user)
    organisation = user.organisation
    if organisation is not None:
        roles.add(Role.ENTERPRISE_MEMBER if organisation.kind == OrganisationKind.ENTERPRISE else Role.PROVIDER_OPERATOR)
    return frozenset(roles)


def user_has_any_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def user_staff_roles(user) -> frozenset[str]:
    return user_roles(user) & STAFF_ROLES


def user_confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def user_get_by_username(username: str) -> User | None:
    return user_get_by_login_name(username)


def user_get_by_login_name(raw: str) -> User | None:
    """The login a typed name stands for: by its case- and width-insensitive key, or, for a name that collided
    before keys existed (its key is null), by the exact stored name."""
    found = User.objects.filter(username_key=username_key(raw)).first()
    if found is None:
        found = User.objects.filter(username=username_normalise(raw), username_key__isnull=True).first()
    return found


def organisation_members(organisation_id: int) -> list[User]:
    """An organisation's active members (who receive its notices in the app)."""
    return list(User.objects.filter(organisation_id=organisation_id, is_active=True).order_by("pk"))


def staff_with_role(role: str) -> list[User]:
    """Active users who hold a staff role now."""
    return list(User.objects.filter(is_active=True, role_grants__role=role, role_grants__revoked_at__isnull=True)
                .distinct().order_by("pk"))


def organisation_member_emails(organisation_id: int) -> list[str]:
    """E-mail addresses of an organisation's active members (an enterprise's registered contacts)."""
    members = User.objects.filter(organisation_id=organisation_id, is_active=True).exclude(email="")
    return sorted(set(members.values_list("email", flat=True)))


def staff_emails_with_role(role: str) -> list[str]:
    """E-mail addresses of active users who hold a staff role now (for alerts such as a failed database audit)."""
    users = User.objects.filter(is_active=True, role_grants__role=role, role_grants__revoked_at__isnull=True)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def user_may_use_linked_identity(user) -> bool:
    """Whether a user may sign in (or be linked) through OpenID Connect: active, and neither staff nor a Django admin
    (staff sign in with their password and second factor only)."""
    if not user.is_active or user.is_staff or user.is_superuser:
        return False
    return not RoleGrant.objects.filter(user=user, revoked_at__isnull=True).exists()


def linked_identity_user(*, issuer: str, subject: str) -> User | None:
    """The user an OpenID Connect identity signs in as, if it was linked."""
    identity = LinkedIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    return identity.user if identity else None
