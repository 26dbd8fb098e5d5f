"""Video: a declarative timeline composed by one ffmpeg filter graph; tweet reels and product promos."""
