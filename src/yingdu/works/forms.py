from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AiTechnique, AspectRatio, ReleasePlatform, WorkForm
from .services import WorkFacts

DATE = forms.DateInput(attrs={"type": "date"})


class WorkFactsFields(forms.Form):
    """Episode count and lengths, aspect ratio, AI techniques and overseas titles, checked against the form."""

    episode_count = forms.IntegerField(label=_("集数"), min_value=1, max_value=10000)
    episode_min_seconds = forms.IntegerField(label=_("最短单集时长（秒）"), min_value=1, max_value=36000,
                                             help_text=_("AI微短剧：几十秒至 15 分钟（900 秒），竖屏 9:16；"
                                                       "AI短剧：10–20 分钟（600–1200 秒），横屏 16:9"))
    episode_max_seconds = forms.IntegerField(label=_("最长单集时长（秒）"), min_value=1, max_value=36000)
    aspect_ratio = forms.ChoiceField(label=_("画幅"), choices=AspectRatio.choices)
    ai_techniques = forms.MultipleChoiceField(label=_("使用的AI技术"), choices=AiTechnique.choices,
                                              widget=forms.CheckboxSelectMultiple)
    overseas_titles = forms.CharField(label=_("海外片名"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("每行一个：作品在海外平台上线时使用的片名"))

    def facts(self) -> WorkFacts:
        data = self.cleaned_data
        return WorkFacts(
            episode_count=data["episode_count"], episode_min_seconds=data["episode_min_seconds"],
            episode_max_seconds=data["episode_max_seconds"], aspect_ratio=data["aspect_ratio"],
            ai_techniques=list(data["ai_techniques"]),
            overseas_titles=[line for line in (data.get("overseas_titles") or "").splitlines() if line.strip()])


class WorkDeclareForm(WorkFactsFields):
    title = forms.CharField(label=_("作品名称"), max_length=200)
    form = forms.ChoiceField(label=_("作品形式"), choices=WorkForm.choices)
    project_tag = forms.CharField(label=_("计量项目标签"), max_length=64,
                                  help_text=_("算力服务商上报用量时使用的项目标签，例如 drama-2026-01；字母、数字、-、_"))
    production_start_on = forms.DateField(label=_("制作开始日期"), widget=DATE)
    production_end_on = forms.DateField(label=_("制作结束日期"), widget=DATE)

    field_order = ["title", "form", "project_tag", "production_start_on", "production_end_on", "episode_count",
                   "episode_min_seconds", "episode_max_seconds", "aspect_ratio", "ai_techniques", "overseas_titles"]

    def identity(self) -> dict:
        return {name: self.cleaned_data[name]
                for name in ("title", "form", "project_tag", "production_start_on", "production_end_on")}


class WorkDetailsForm(WorkFactsFields):
    title = forms.CharField(label=_("作品名称"), max_length=200)
    form = forms.ChoiceField(label=_("作品形式"), choices=WorkForm.choices)
    reason = forms.CharField(label=_("更正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("更正已登记的信息时必填；原记录保留"))

    field_order = ["title", "form", "episode_count", "episode_min_seconds", "episode_max_seconds", "aspect_ratio",
                   "ai_techniques", "overseas_titles", "reason"]


class ReleaseForm(forms.Form):
    platform = forms.ChoiceField(label=_("上线平台"), choices=ReleasePlatform.choices)
    platform_name = forms.CharField(label=_("平台名称（选择“其他平台”时填写）"), max_length=100, required=False)
    url = forms.CharField(label=_("作品链接"), max_length=500)
    went_live_on = forms.DateField(label=_("上线日期"), widget=DATE)
    licence_number = forms.CharField(label=_("上线备案号或发行许可证号"), max_length=80,
                                     help_text=_("按片头标注填写，如“（总局）网剧审字（2022）第001号”或上线备案号"))
    screenshot = forms.FileField(label=_("上线页面截图"), help_text=_("PNG 或 JPEG 图片，最大 10 MB"),
                                 widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    supersedes = forms.IntegerField(label=_("更正的记录编号（可选）"), required=False, min_value=1,
                                    help_text=_("更正已有记录时填写其编号（#）；原记录保留并标注“已被更正”"))
    reason = forms.CharField(label=_("更正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DistributionForm(forms.Form):
    territory = forms.CharField(label=_("发行地区"), max_length=100, help_text=_("如 美国、东南亚、日本"))
    platform = forms.ChoiceField(label=_("海外平台"), choices=ReleasePlatform.choices)
    platform_name = forms.CharField(label=_("平台名称（选择“其他平台”时填写）"), max_length=100, required=False)
    listed_title = forms.CharField(label=_("海外上线片名"), max_length=200, help_text=_("与国内片名对应的海外片名"))
    url = forms.CharField(label=_("海外上线链接"), max_length=500, required=False)
    went_live_on = forms.DateField(label=_("海外上线日期"), widget=DATE)
    agreement = forms.FileField(label=_("出海发行协议"))
    listing_evidence = forms.FileField(label=_("海外上线证明"))
    supersedes = forms.IntegerField(label=_("更正的记录编号（可选）"), required=False, min_value=1,
                                    help_text=_("更正已有记录时填写其编号（#）；原记录保留并标注“已被更正”"))
    reason = forms.CharField(label=_("更正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
