"""What the page crawls of the tests share: which links are pages, and which pages are of one kind."""

import re

# Links that leave the pages: files, the API, signing out, and pages that act on a GET-confirmed token.
NOT_PAGES = re.compile(r"^/(api|static|media|i18n)/|/logout/|/password/reset/.+/|\.(pdf|xlsx|csv|json|txt|png|jpe?g)$"
                       r"|/(download|export|file|licence|screenshot|evidence)(/|$)")


def page_kind(path: str) -> str:
    """One check per kind of page: /works/12/ and /works/13/ are the same page."""
    return re.sub(r"/(\d+|[0-9a-f-]{32,36}|HR-[0-9A-Z-]+|\d{4}Q\d)(?=/|$)", "/<id>", path)
