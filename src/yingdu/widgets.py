"""Form widgets written in Python where Django's templates cost more than the page: a ``<select>`` renders each
option through two template includes, which is most of a filter form whose select lists an enterprise's works
(issue 18). The markup is Django's own (a test compares them)."""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"``, a bare name for True, nothing for False."""
    return "".join(f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
                   for name, value in attrs.items() if value is not False)


class OptionsSelect(forms.Select):
    """A select whose options are written in one loop in Python instead of a template include per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                parts.append(f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                             f'{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n')
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))
