from django import forms
from django.utils.translation import gettext_lazy as _

from yingdu.rules.money import Money

from .models import ObjectionDecision
from .services import CONTACT_MAX_LENGTH, CONTENT_MAX_LENGTH


class ObjectionForm(forms.Form):
    application = forms.TypedChoiceField(label=_("异议的公示项目"), coerce=int)
    contact = forms.CharField(label=_("联系方式"), max_length=CONTACT_MAX_LENGTH,
                              help_text=_("电话或电子邮箱，只有工作人员可见，不公开"))
    content = forms.CharField(label=_("异议内容"), max_length=CONTENT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("请说明异议的事实和理由（10 至 2000 字），不公开"))

    def __init__(self, *args, awards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [
            (award.application_id, f"{award.enterprise_name} ·《{award.work_title}》· "
                                   f"{Money(award.amount_fen).format_display()} 元")
            for award in awards]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("处理结果"), choices=ObjectionDecision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("处理理由"), max_length=CONTENT_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("异议成立时，理由记为退回审核的理由；不公开，日志中只记录其承诺值"))
