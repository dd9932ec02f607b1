"""A confirmation step before an action that moves money or rights (issue 16): the first POST of the action's form
shows what will happen, with the amount and the consequence, and a second POST carrying ``confirmed=1`` acts.
Nothing is written until then. The API is unchanged: a program's request is its own confirmation."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"
_NOT_REPEATED = {"csrfmiddlewaretoken", CONFIRMED}


@dataclass(frozen=True)
class Confirmation:
    action: str  # the button's words, e.g. 批准
    facts: list[tuple[str, str]]  # what the action acts on and the amount, as (label, value)
    consequence: str  # what happens, and whether it can be undone
    back_url: str


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def confirmation_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The page that asks to confirm; its form repeats the fields the person filled in (not files)."""
    fields = [(name, value) for name, values in request.POST.lists() if name not in _NOT_REPEATED
              for value in values]
    return render(request, "confirm.html", {"confirmation": confirmation, "fields": fields,
                                            "action_url": request.get_full_path()})
