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
NIGHTLY_REBUILD_DAYS = 35
NIGHTLY_CRON = "30 2 * * *"  # 02:30 in the worker's zone
