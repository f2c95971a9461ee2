"""nfc_fallback: the card-reader agent for sites that have a reader.

Reader backends (nfcpy for RC-S380/RC-S370/ACR122U and its UDP simulator; PC/SC for the
RC-S300), a local journal that keeps every touch until the server acknowledges it, and the
uploader.  It talks to the server only over HTTP (`POST /api/v1/touches`).
"""
