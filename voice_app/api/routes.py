"""Route modules of /api/v1 (each registers its views on `voice_app.api.bp`)."""

import voice_app.api.openapi  # GET /api/v1/openapi.json
import voice_app.api.records  # events, work records, exceptions, reconcile, stats
import voice_app.api.registry  # noqa: F401  (companies, sites, workers, roster)
from voice_app.api import touches  # noqa: F401  (POST /api/v1/touches)
