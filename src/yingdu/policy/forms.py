from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from yingdu.documents.models import DocumentKind
from yingdu.documents.numbering import MAX_TEMPLATE_LENGTH
from yingdu.errors import DomainError
from yingdu.rules.money import Money, MoneyParseError

from .models import OverseasReadingChoice, PolicyVersion, RoundingRuleChoice, ServiceCategory
from .terms import (
    REMEDY_KEYS,
    REMEDY_LABELS,
    REQUIRED_REMEDY_KEYS,
    decision_remedies,
    document_number_template,
    rate_text,
)

MSG_CHECKLIST_LINE = _("第 {line} 行格式不对：每行写“代码 | 名称”，如 release_screenshot | 作品上线页面截图。")
MAX_SCHEDULE_BYTES = 1024 * 1024

# form fields that hold yuan, and the service terms (fen) they become
YUAN_FIELDS = {
    "regular_cap": "regular_cap_fen", "overseas_cap": "overseas_cap_fen", "annual_budget": "annual_budget_fen",
}
FORM_FIELD_OF_TERM = {term: field for field, term in YUAN_FIELDS.items()}


def attach_error(form: forms.Form, error: DomainError, *, field_map: dict | None = None) -> None:
    """Show a service's refusal beside the field it names, or above the form."""
    field = (field_map or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


class EstimateForm(forms.Form):
    cost = forms.CharField(label=_("作品核定算力成本（元）"), max_length=40,
                           help_text=_("作品实际制作的算力费用，如 50000 或 50,000.00，最多两位小数"),
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    overseas = forms.BooleanField(label=_("作品已成功出海发行"), required=False)


class DraftCreateForm(forms.Form):
    version_id = forms.CharField(label=_("版本号"), max_length=64, help_text=_("小写字母、数字和连字符，如 huairou-2027-01"),
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    title = forms.CharField(label=_("标题"), max_length=200)


def _yuan_field(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, max_length=40, required=required, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))


def _rate_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=12, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))


class DraftForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    change_note = forms.CharField(label=_("修订说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    regular_rate = _rate_field(_("常规补贴比例"), _("0 到 1 之间的小数，0.30 表示 30%，最多四位小数"))
    regular_cap = _yuan_field(_("常规单部作品上限（元）"))
    overseas_reading = forms.ChoiceField(label=_("出海口径"), choices=OverseasReadingChoice.choices)
    overseas_uplift = _rate_field(_("出海上浮比例"), _("0.30 表示 30%"))
    overseas_cap = _yuan_field(_("出海单部作品上限（元）"))
    annual_work_limit = forms.IntegerField(label=_("每家企业每年支持作品数"), min_value=1)
    annual_budget = _yuan_field(_("年度预算（元）"), required=False, help_text=_("留空表示不设预算上限"))
    objection_window_working_days = forms.IntegerField(label=_("异议期（工作日）"), min_value=1)
    sla_working_days = forms.IntegerField(label=_("受理至兑现时限（工作日）"), min_value=1)
    spot_check_sample_rate = _rate_field(_("每季度抽查比例"), _("0.10 表示抽查已支持作品的 10%"))
    spot_check_minimum = forms.IntegerField(label=_("每季度最少抽查作品数"), min_value=0)
    voucher_validity_days = forms.IntegerField(label=_("算力券有效期（天）"), min_value=1, required=False,
                                               help_text=_("留空表示不设有效期"))
    materials_checklist = forms.CharField(label=_("申报材料清单"), widget=forms.Textarea(attrs={"rows": 8}),
                                          help_text=_("每行一项：代码 | 名称"))
    rounding_rule = forms.ChoiceField(label=_("舍入规则"), choices=RoundingRuleChoice.choices)
    conflict_lookback_months = forms.IntegerField(
        label=_("回避追溯期（月）"), min_value=0, max_value=120, required=False,
        help_text=_("工作人员离开企业或服务商后，在此期限内不得办理其事项；留空表示不限期限"))
    spot_check_auto_draw_working_days = forms.IntegerField(
        label=_("季度结束后自动抽签（工作日）"), min_value=1, max_value=60, required=False,
        help_text=_("季度结束后第几个工作日审计员仍未抽签时，由平台自动抽签；留空表示不自动抽签"))
    publicity_working_days = forms.IntegerField(
        label=_("获批公示期（工作日）"), min_value=1, max_value=60, required=False,
        help_text=_("获批项目（企业名称、作品名称、金额）公开公示并接受异议的工作日数；留空表示不公示"))
    publicity_excluded_from_sla = forms.BooleanField(
        label=_("公示期不计入审核时限"), required=False,
        help_text=_("勾选后，公示期间受理至兑现的审核时限暂停（与等待补充材料相同）；不勾选则公示期计入时限"))

    @classmethod
    def initial_from(cls, version: PolicyVersion) -> dict:
        initial = {name: getattr(version, name) for name in cls.base_fields if hasattr(version, name)}
        for name in ("regular_rate", "overseas_uplift", "spot_check_sample_rate"):
            initial[name] = rate_text(getattr(version, name))
        for name, term in YUAN_FIELDS.items():
            fen = getattr(version, term)
            initial[name] = "" if fen is None else Money(fen).format_yuan()
        initial["materials_checklist"] = "\n".join(f"{item['code']} | {item['label']}"
                                                   for item in version.materials_checklist)
        for kind in DocumentKind.values:
            initial[f"document_number_{kind}"] = document_number_template(version, kind)
        for key, text in decision_remedies(version).items():
            initial[f"remedies_{key}"] = text
        return initial

    def _clean_yuan(self, name: str):
        text = self.cleaned_data.get(name, "")
        if not text and not self.fields[name].required:
            return None
        try:
            return Money.from_yuan(text).fen
        except MoneyParseError as error:
            raise forms.ValidationError(str(error.message)) from None

    def clean_regular_cap(self):
        return self._clean_yuan("regular_cap")

    def clean_overseas_cap(self):
        return self._clean_yuan("overseas_cap")

    def clean_annual_budget(self):
        return self._clean_yuan("annual_budget")

    def clean_materials_checklist(self):
        items = []
        for line_number, line in enumerate(self.cleaned_data["materials_checklist"].splitlines(), start=1):
            if not line.strip():
                continue
            code, separator, label = line.partition("|")
            if not separator or not code.strip() or not label.strip():
                raise forms.ValidationError(MSG_CHECKLIST_LINE.format(line=line_number))
            items.append({"code": code.strip(), "label": label.strip()})
        return items

    def changes(self) -> dict:
        """The form's values as the service's terms (fen for money, decimal text for rates)."""
        data = dict(self.cleaned_data)
        for name, term in YUAN_FIELDS.items():
            data[term] = data.pop(name)
        data["document_number_formats"] = {kind: data.pop(f"document_number_{kind}") for kind in DocumentKind.values}
        data["decision_remedies"] = {key: data.pop(f"remedies_{key}") for key in REMEDY_KEYS}
        return data


# official documents: one number template per kind of document, and the remedies and contact a decision states
for _kind in DocumentKind:
    DraftForm.base_fields[f"document_number_{_kind.value}"] = forms.CharField(
        label=format_lazy(_("{kind}文号格式"), kind=_kind.label), max_length=MAX_TEMPLATE_LENGTH,
        help_text=_("{year} 为年度，{number} 为当年序号，如 怀文促决〔{year}〕{number}号"))
for _key in REMEDY_KEYS:
    DraftForm.base_fields[f"remedies_{_key}"] = forms.CharField(
        label=REMEDY_LABELS[_key], max_length=300, required=_key in REQUIRED_REMEDY_KEYS,
        widget=forms.Textarea(attrs={"rows": 2}) if _key in ("review", "litigation") else forms.TextInput)


class CategoriesForm(forms.Form):
    eligible_service_categories = forms.MultipleChoiceField(
        label=_("算力券可抵扣的服务"), choices=ServiceCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class PublishForm(forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text=_("不早于今天，且晚于已发布的最新版本的生效日期"))


class CalendarUploadForm(forms.Form):
    schedule = forms.FileField(label=_("日程文件"), help_text=_("CSV（表头 date,kind,name,source_url）或 JSON，UTF-8 编码，不超过 1 MB"))
    source = forms.CharField(label=_("来源"), max_length=500, required=False,
                             help_text=_("国务院办公厅通知的网址或文号；留空则记录文件名"))

    def clean_schedule(self):
        upload = self.cleaned_data["schedule"]
        if upload.size > MAX_SCHEDULE_BYTES:
            raise forms.ValidationError(_("文件超过 1 MB。"))
        try:
            self.schedule_text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("文件不是 UTF-8 编码的文本。")) from None
        return upload


class CalendarPublishForm(forms.Form):
    content = forms.CharField(widget=forms.HiddenInput, strip=False)
    fmt = forms.ChoiceField(choices=[("csv", "csv"), ("json", "json")], widget=forms.HiddenInput)
    based_on_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    source = forms.CharField(label=_("来源"), max_length=500)
