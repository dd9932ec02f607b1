from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.notices.forms import MultipleFileField

from .models import CheckItemResult, FindingOutcome
from .workflow import CHECKLIST

# the checklist in the page's language (the stored labels stay Chinese)
CHECKLIST_CHOICES = [(code, _(label)) for code, label in CHECKLIST]


class CheckForm(forms.Form):
    code = forms.ChoiceField(label=_("检查项"), choices=CHECKLIST_CHOICES)
    result = forms.ChoiceField(label=_("结果"), choices=CheckItemResult.choices)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10000)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class EvidenceForm(forms.Form):
    check_code = forms.ChoiceField(label=_("对应检查项"), choices=[("", _("（不指定）")), *CHECKLIST_CHOICES], required=False)
    upload = forms.FileField(label=_("证明材料"), help_text=_("PDF、PNG 或 JPEG，不超过 10 MB"))


class FindingForm(forms.Form):
    outcome = forms.ChoiceField(label=_("检查结论"), choices=FindingOutcome.choices, widget=forms.RadioSelect)
    summary = forms.CharField(label=_("结论说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)
    corrective_action = forms.CharField(label=_("整改要求"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                        help_text=_("结论为“存在问题”时必填"), max_length=10000)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("复核结果"), widget=forms.RadioSelect, choices=[
        ("confirm", _("确认欺诈（撤销该企业全部算力券并取消资格）")), ("decline", _("不予确认（案件恢复检查）"))])
    reason = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class ResponseForm(forms.Form):
    text = forms.CharField(label=_("书面说明"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    evidence = MultipleFileField(label=_("证明材料"), required=False,
                                 help_text=_("可选多个文件；PDF、PNG 或 JPEG，每个不超过 10 MB"))
