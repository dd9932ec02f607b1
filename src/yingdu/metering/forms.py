from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ServiceCategory


class ApiKeyForm(forms.Form):
    label = forms.CharField(label=_("用途说明"), max_length=100, help_text=_("例如：生产环境上报、测试环境"))


class SigningKeyForm(forms.Form):
    public_key = forms.CharField(label=_("Ed25519 公钥（Base64）"), max_length=100,
                                 help_text=_("32 字节原始公钥的 Base64 编码，可用 yingdu-push keygen 生成"))
    label = forms.CharField(label=_("用途说明"), max_length=100)
    valid_from = forms.DateTimeField(label=_("生效时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.DateTimeField(label=_("失效时间（可选）"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class PriceForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    name = forms.CharField(label=_("服务名称"), max_length=200)
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    unit = forms.CharField(label=_("计量单位"), max_length=32, help_text=_("例如：卡时、GPU秒、生成视频秒、千tokens、条"))
    price_fen = forms.IntegerField(label=_("单价（分/单位）"), min_value=0)
    effective_from = forms.DateTimeField(label=_("生效时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                         help_text=_("不能早于当前时间；改价即新增一个价格版本"))


class CsvUploadForm(forms.Form):
    key_id = forms.CharField(label=_("签名密钥 ID"), max_length=16)
    file = forms.FileField(label=_("CSV 文件"), help_text=_("列：record_id, enterprise_uscc, project_tag, sku, quantity, "
                                                      "started_at, ended_at, node_id, job_id, gpu_id, corrects, signature"))


class AttachForm(forms.Form):
    work = forms.TypedChoiceField(label=_("归属作品"), coerce=int, choices=())
    reason = forms.CharField(label=_("归属理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("例如：服务商确认项目标签填写错误，应为该作品"))

    def __init__(self, *args, works=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work"].choices = [(w.pk, f"{w.title}（{w.project_tag}）") for w in works]


class ProviderRegisterForm(forms.Form):
    name = forms.CharField(label=_("服务商名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    is_local = forms.BooleanField(label=_("本地算力服务商"), required=False, initial=True)
    operator_mode = forms.ChoiceField(label=_("首位操作员"), widget=forms.RadioSelect, initial="new", choices=[
        ("new", _("新建操作员账户（生成初始密码，仅显示一次）")), ("existing", _("使用已有账户（须未加入任何机构）"))])
    operator_username = forms.CharField(label=_("操作员用户名"), max_length=150)
    operator_display_name = forms.CharField(label=_("操作员姓名（新建时）"), max_length=100, required=False)


class AnomalyFilterForm(forms.Form):
    """The anomaly page's filters and keyset position, all in the URL (GET)."""

    kind = forms.ChoiceField(label=_("类型"), required=False)
    provider = forms.TypedChoiceField(label=_("服务商"), required=False, coerce=int, empty_value=None)
    enterprise = forms.CharField(label=_("企业统一社会信用代码"), required=False, max_length=18)
    date = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, kinds, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部")), *kinds]
        self.fields["provider"].choices = [("", _("全部")), *((p.pk, p.name) for p in providers)]
        self.fields["after"].error_messages["invalid"] = _("翻页位置无效，请从第一页开始。")
        self.fields["after"].error_messages["min_value"] = _("翻页位置无效，请从第一页开始。")
