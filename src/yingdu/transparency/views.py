from django.shortcuts import render
from django.utils import timezone

from . import selectors
from .keys import log_origin
from .services import checkpoint_ensure_current


def transparency_page(request):
    """Public page: the current checkpoint, the verifier key, how to verify, entry counts by type."""
    checkpoint = checkpoint_ensure_current(now=timezone.now())
    return render(request, "transparency/index.html", {
        "checkpoint": checkpoint,
        "checkpoint_note": selectors.cosigned_note(checkpoint),
        "verifier_keys": selectors.published_verifier_keys(),
        "counts": selectors.entry_counts_by_type(),
        "witnessed": selectors.checkpoint_latest_witnessed(),
        "trust_policy": selectors.published_trust_policy(),
        "origin": log_origin(),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    })
