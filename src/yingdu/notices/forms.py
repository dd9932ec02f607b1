from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.works.models import Work


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); cleaned to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class NoticeIssueForm(forms.Form):
    work = forms.ModelChoiceField(label=_("作品"), queryset=Work.objects.select_related("enterprise").order_by(
        "enterprise__name", "title"))
    period_start_on = forms.DateField(label=_("期间开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end_on = forms.DateField(label=_("期间结束日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                    help_text=_("按北京时间的自然日，含首尾两日；记录按开始时间归入期间"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work"].label_from_instance = lambda work: f"{work.enterprise.name} · {work.title}（{work.project_tag}）"


class ObjectionForm(forms.Form):
    explanation = forms.CharField(label=_("书面说明"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    evidence = MultipleFileField(label=_("证明材料"), help_text=_("可选多个文件；PDF、PNG 或 JPEG，每个不超过 10 MB"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("处理结果"), choices=[("uphold", _("采纳（追加更正记录）")),
                                                           ("reject", _("不予采纳"))], widget=forms.RadioSelect)
    reason = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             help_text=_("不予采纳时必填"))
