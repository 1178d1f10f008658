"""Data layer: preprocessing, the uint8 cache, splits and tensor batches."""
