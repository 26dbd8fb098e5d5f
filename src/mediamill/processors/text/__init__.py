"""Text tasks: platform copy (text.copy), research (content.research) and brand content (content.generate)."""
