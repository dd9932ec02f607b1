from django.shortcuts import render

from yingdu.lists import keyset_list

from . import selectors
from .filters import LogEntryFilter
from .keys import log_origin
from .models import LogEntry


def transparency_page(request):
    """Public page: the latest signed checkpoint (its time, how far the log has grown since), the verifier key, how to
    verify, entry counts by type at the checkpoint. Read-only: the worker signs checkpoints, a view never does."""
    served = selectors.checkpoint_served()
    checkpoint = served.checkpoint
    return render(request, "transparency/index.html", {
        "checkpoint": checkpoint,
        "entries_behind": served.entries_behind,
        "checkpoint_note": selectors.cosigned_note(checkpoint) if checkpoint is not None else "",
        "verifier_keys": selectors.published_verifier_keys(),
        "counts": selectors.entry_counts_at(checkpoint.tree_size) if checkpoint is not None else [],
        "witnessed": selectors.checkpoint_latest_witnessed(),
        "trust_policy": selectors.published_trust_policy(),
        "origin": log_origin(),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    })


def entry_list(request):
    """Public page: the log's entries, newest first, by type, paged by index (?after=), each with its text."""
    listing = keyset_list(request, LogEntryFilter(request.GET, queryset=LogEntry.objects.all()), key="index")
    rows = [{"index": entry.index, "event_type": entry.event_type, "text": bytes(entry.entry).decode("utf-8", "replace")}
            for entry in listing.rows]
    return render(request, "transparency/entries.html", {"listing": listing, "entries": rows}, status=listing.status)
