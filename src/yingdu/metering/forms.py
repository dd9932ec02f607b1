from django import forms

from .models import ServiceCategory


class ApiKeyForm(forms.Form):
    label = forms.CharField(label="用途说明", max_length=100, help_text="例如：生产环境上报、测试环境")


class SigningKeyForm(forms.Form):
    public_key = forms.CharField(label="Ed25519 公钥（Base64）", max_length=100,
                                 help_text="32 字节原始公钥的 Base64 编码，可用 yingdu-push keygen 生成")
    label = forms.CharField(label="用途说明", max_length=100)
    valid_from = forms.DateTimeField(label="生效时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    valid_until = forms.DateTimeField(label="失效时间（可选）", required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class PriceForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    name = forms.CharField(label="服务名称", max_length=200)
    category = forms.ChoiceField(label="服务类别", choices=ServiceCategory.choices)
    unit = forms.CharField(label="计量单位", max_length=32, help_text="例如：卡时、GPU秒、生成视频秒、千tokens、条")
    price_fen = forms.IntegerField(label="单价（分/单位）", min_value=0)
    effective_from = forms.DateTimeField(label="生效时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                         help_text="不能早于当前时间；改价即新增一个价格版本")


class CsvUploadForm(forms.Form):
    key_id = forms.CharField(label="签名密钥 ID", max_length=16)
    file = forms.FileField(label="CSV 文件", help_text="列：record_id, enterprise_uscc, project_tag, sku, quantity, "
                                                      "started_at, ended_at, node_id, job_id, gpu_id, corrects, signature")
