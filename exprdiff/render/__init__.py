"""Renderers: format what the API returns; never redo arithmetic."""
