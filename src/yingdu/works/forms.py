from django import forms

from .models import WorkForm


class WorkDeclareForm(forms.Form):
    title = forms.CharField(label="作品名称", max_length=200)
    form = forms.ChoiceField(label="作品形式", choices=WorkForm.choices)
    project_tag = forms.CharField(label="计量项目标签", max_length=64,
                                  help_text="算力服务商上报用量时使用的项目标签，例如 drama-2026-01；字母、数字、-、_")
    production_start_on = forms.DateField(label="制作开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    production_end_on = forms.DateField(label="制作结束日期", widget=forms.DateInput(attrs={"type": "date"}))
