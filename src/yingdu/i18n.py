"""Language helpers: official documents, e-mails and exports stay Chinese whatever language the page is shown in."""

import functools

from django.conf import settings
from django.utils import translation


def in_chinese(func):
    """Run ``func`` with the platform's first language (LANGUAGE_CODE) active, then restore the caller's."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper
