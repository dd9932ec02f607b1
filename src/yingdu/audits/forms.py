from django import forms

from yingdu.notices.forms import MultipleFileField

from .models import CheckItemResult, FindingOutcome
from .workflow import CHECKLIST


class CheckForm(forms.Form):
    code = forms.ChoiceField(label="检查项", choices=CHECKLIST)
    result = forms.ChoiceField(label="结果", choices=CheckItemResult.choices)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10000)


class NoteForm(forms.Form):
    text = forms.CharField(label="备注", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class EvidenceForm(forms.Form):
    check_code = forms.ChoiceField(label="对应检查项", choices=[("", "（不指定）"), *CHECKLIST], required=False)
    upload = forms.FileField(label="证明材料", help_text="PDF、PNG 或 JPEG，不超过 10 MB")


class FindingForm(forms.Form):
    outcome = forms.ChoiceField(label="检查结论", choices=FindingOutcome.choices, widget=forms.RadioSelect)
    summary = forms.CharField(label="结论说明", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)
    corrective_action = forms.CharField(label="整改要求", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                        help_text="结论为“存在问题”时必填", max_length=10000)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="复核结果", widget=forms.RadioSelect, choices=[
        ("confirm", "确认欺诈（撤销该企业全部算力券并取消资格）"), ("decline", "不予确认（案件恢复检查）")])
    reason = forms.CharField(label="复核意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class ResponseForm(forms.Form):
    text = forms.CharField(label="书面说明", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    evidence = MultipleFileField(label="证明材料", required=False,
                                 help_text="可选多个文件；PDF、PNG 或 JPEG，每个不超过 10 MB")
