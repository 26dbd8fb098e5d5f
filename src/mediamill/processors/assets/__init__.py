"""Asset processing: asset.inspect, asset.thumbnail and asset.variants, plus their shared helpers."""
