"""The media worker (seed 002's queue `media`): image.generate and image.thumbnail_art.

Offline, they compose graphics (an HTML/CSS card rendered in the bundled Chromium), not diffusion.
"""
