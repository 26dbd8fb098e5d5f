"""Analytics: `analytics.track` writes batches of the seed's events and their daily rollups."""
