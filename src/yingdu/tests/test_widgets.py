"""The project's select writes Django's select markup, option for option, without a template include per option."""

import pytest
from django import forms

from yingdu.widgets import OptionsSelect

CHOICES = [("", "全部"), ("a<b", "A & B"), (3, "三"), ("group", [("x", "X"), ("y", 'Y"')])]


@pytest.mark.parametrize("value", ["", "a<b", 3, "x", None, "not a choice"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_w", "class": "c", "required": True, "disabled": False}])
def test_options_select_writes_djangos_markup(value, attrs):
    assert OptionsSelect(choices=CHOICES).render("w", value, attrs) == forms.Select(choices=CHOICES).render(
        "w", value, attrs)


def test_options_select_escapes_what_it_writes():
    html = OptionsSelect(choices=[("<v>", "<script>")]).render('n"', "<v>")
    assert "<script>" not in html and 'value="&lt;v&gt;" selected' in html and 'name="n&quot;"' in html
