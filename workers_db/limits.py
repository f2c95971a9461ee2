"""Limits of the public interface that the reader agent shares with the server.

Standard library only: the agent (`genba-call nfc-agent`) imports it without SQLAlchemy.
"""

from __future__ import annotations

# Touches per `POST /api/v1/touches` request; the agent's `--batch-size` cannot exceed it.
MAX_BATCH = 1000
