"""Drill: the morning rush, no fault.  `python -m drills.morning_rush [--workers N …]`

Several thousand distinct workers call their site's number (a tenth the shared number with
the site code) within `--duration` seconds.  Figures: sustained calls/s, webhook p50/p99,
Twilio retries, and each caller's event in the database exactly once, with one work record
per worker-day made by the RQ workers from the jobs the calls enqueued.
"""

from __future__ import annotations

import sys

from drills import rush


def main() -> int:
    args = rush.parser(__doc__ or "", duration_s=120).parse_args()
    return rush.run("morning_rush", rush.options_from(args))


if __name__ == "__main__":
    sys.exit(main())
