"""Reporters: plugins that read results and present them. They never score."""
