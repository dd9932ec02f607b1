"""Background tasks of the oversight app, run by `yingdu worker`."""

from yingdu.periodic import register_periodic

from .dbaudit import db_audit_daily

# the database audit runs once a day and e-mails the admins on any mismatch (issue 8)
register_periodic(db_audit_daily, seconds=24 * 3600)
