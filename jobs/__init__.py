"""jobs: the RQ side.

Reconciliation of raw events into work records and exceptions, statistics, exports, and the
cron schedule.  Jobs take ids and ISO dates only, never ORM objects or phone numbers, use the
JSON serializer, and open their own session (`jobs.runtime.job_session`).
"""
