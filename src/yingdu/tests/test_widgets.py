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


@pytest.mark.django_db
def test_a_labelled_model_choice_writes_the_options_of_a_model_choice_and_checks_the_value_alike():
    import django_filters

    from yingdu.accounts.models import Role
    from yingdu.lists import LabelledModelChoiceFilter
    from yingdu.testing.clients import verified
    from yingdu.testing.factories import make_enterprise, make_staff, make_work
    from yingdu.works.models import Work

    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    works = [make_work(enterprise, tag=f"work-{n}", title=title) for n, title in enumerate(["乙<剧>", "甲剧", "丙剧"])]
    other = make_work(make_enterprise(verified_by=reviewer), tag="work-other")
    mine = Work.objects.filter(enterprise=enterprise).order_by("title", "pk")

    class Django(django_filters.FilterSet):
        work = django_filters.ModelChoiceFilter(field_name="id", queryset=mine, empty_label="全部作品")

    class Labelled(django_filters.FilterSet):
        work = LabelledModelChoiceFilter(field_name="id", queryset=mine, empty_label="全部作品",
                                         label_field="title")

    for data in ({}, {"work": str(works[1].pk)}, {"work": str(other.pk)}, {"work": "x"}):
        expected, labelled = Django(data, queryset=Work.objects.all()), Labelled(data, queryset=Work.objects.all())
        assert str(labelled.form["work"]) == str(expected.form["work"]), data
        assert labelled.is_valid() == expected.is_valid(), data
        if expected.is_valid():
            assert labelled.form.cleaned_data == expected.form.cleaned_data
        else:
            assert labelled.form.errors == expected.form.errors
