"""nfc_fallback: the card-reader agent for sites that have a reader.

Reader backends (nfcpy for RC-S380/RC-S370/ACR122U and its UDP simulator; PC/SC for the
RC-S300), a local journal that keeps every touch until the server acknowledges it, and the
uploader.  It talks to the server only over HTTP (`POST /api/v1/touches`).
"""

# Sent with "1" on a batch that may have reached the server before (the first after a failed
# upload or a start): the server then skips its stored touches at once instead of first trying
# a plain insert that the unique index refuses with an ERROR in PostgreSQL's log (docs/nfc.md).
# A header, not a body field: a server that does not know it ignores it.
RESENT_HEADER = "X-Touches-Resent"
