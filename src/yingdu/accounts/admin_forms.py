"""Forms of the admin page of users and roles (the services check roles and reasons)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import STAFF_ROLES, Role

STAFF_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in STAFF_ROLES]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RoleGrantForm(ReasonForm):
    # a plain field with a select: an unknown role is refused by the service, with its code
    role = forms.CharField(label=_("角色"), max_length=32, widget=forms.Select(choices=STAFF_ROLE_CHOICES))
    field_order = ["role", "reason"]
