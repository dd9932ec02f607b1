from django import forms
from django.utils.translation import gettext_lazy as _

from .rules import CASE_KIND_LABELS


class RecusalForm(forms.Form):
    case_kind = forms.ChoiceField(label=_("事项类型"), choices=[(str(k), v) for k, v in CASE_KIND_LABELS.items()])
    case_id = forms.IntegerField(label=_("事项编号"), min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(label=_("回避理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("例如：与该企业负责人有亲属关系、曾在该企业或服务商任职"))


class DecisionNoteForm(forms.Form):
    note = forms.CharField(label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
