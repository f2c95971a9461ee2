"""Route modules of /api/v1 (each registers its views on `voice_app.api.bp`)."""
