"""Response headers that Django has no setting for: Permissions-Policy (settings.PERMISSIONS_POLICY)."""

from django.conf import settings


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`camera=(), geolocation=(self)` from {"camera": [], "geolocation": ["self"]}."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Denies the browser features that no page uses (camera, microphone, geolocation, payment, …) on every answer."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
