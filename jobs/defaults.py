"""Every default number of the job system, in one place (as rq does)."""

QUEUE_NAME = "genba"
JOB_TIMEOUT_S = 600
RESULT_TTL_S = 3600
FAILURE_TTL_S = 7 * 24 * 3600
RETRY_MAX = 5
RETRY_INTERVALS_S = (10, 30, 120, 600, 1800)
# A burst of calls for one site and day becomes one job: later requests within this many
# seconds find the queued job and add nothing.
COALESCE_DELAY_S = 5
# A process that knows such a job is waiting skips the request for that site and day until
# this long before the job's marker expires (jobs.queue.Coverage).
COALESCE_MARGIN_S = 0.5
# The web app sends its commits' reconcile requests together, this long after the first
# (jobs.queue.install_dispatch).
CLAIM_BATCH_S = 0.2
NIGHTLY_REBUILD_DAYS = 35
NIGHTLY_CRON = "30 2 * * *"  # 02:30 in the worker's zone

# Reconciliation and statistics (jobs.reconcile, jobs.stats, jobs.cron).
# A range is reconciled in chunks of at most this many days, one transaction each.
RECONCILE_CHUNK_DAYS = 31
# Statements of a reconciliation or statistics job may run this long (the web's 5 s limit
# is for webhooks, not for rebuilding a month).
JOB_STATEMENT_TIMEOUT_MS = 15 * 60 * 1000
# PostgreSQL checks this often whether a job's client is still there (a killed worker).
JOB_CLIENT_CHECK_MS = 1000
NIGHTLY_JOB_TIMEOUT_S = 3 * 3600
STATS_CRON = "15 4 * * *"  # 04:15: the month's statistics and follow-up reports
STATS_JOB_TIMEOUT_S = 3600

# One cron scheduler across all workers (jobs.cron_lock): the lock expires this long after
# its holder stops renewing it; holders renew, and waiting workers try, this often.
CRON_LOCK_TTL_S = 15
CRON_LOCK_RENEW_S = 5
