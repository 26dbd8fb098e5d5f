"""Image work beyond assets: image.enhance (offline operations, optional generative edit) and image.placeholder."""
