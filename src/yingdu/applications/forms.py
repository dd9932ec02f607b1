from django import forms
from django.utils.translation import gettext_lazy as _


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    items = forms.CharField(label=_("需补充的材料"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("每行一项"))

    def item_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("items") or "").splitlines() if line.strip()]


class MaterialForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput)
    upload = forms.FileField(label=_("文件"), help_text=_("PDF、PNG 或 JPEG，最大 10 MB"))
