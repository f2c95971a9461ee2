"""Drill: Twilio delivering the same webhook twice and out of order, during the rush.
`python -m drills.twilio_dupes`

A share of the calls get their Voice URL delivered twice at the same moment, a share get the
status callback ("completed") before the Voice URL, and a share get a late retry of the
Voice URL after the whole call (after the `<Gather>` step for callers on the shared number).
Every call's event must be in the database exactly once, every duplicate delivery must get
the answer the first one got, and a late retry must change nothing.
"""

from __future__ import annotations

import sys

from drills import rush


def main() -> int:
    p = rush.parser(__doc__ or "", workers=1500, duration_s=60)
    p.add_argument("--share", type=float, default=0.3, help="share of calls for each disorder")
    args = p.parse_args()
    share = args.share
    opts = rush.options_from(
        args, duplicate_share=share, status_first_share=share, late_retry_share=share
    )
    return rush.run("twilio_dupes", opts)


if __name__ == "__main__":
    sys.exit(main())
