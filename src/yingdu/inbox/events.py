"""The inbox writes no log entry of its own: a notification is derived from the entry that caused it (its
``log_index``), and a read mark is the reader's own view state."""

from yingdu.transparency.catalogue import not_audited

from .models import Notification

not_audited(Notification, reason="in-app copies of messages derived from log entries already written (log_index "
                                  "names the entry; platform alerts that write no entry have none); read_at is the "
                                  "reader's own view state, not a record of the programme")
