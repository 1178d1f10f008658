"""MIDS (Medical Imaging Data Structure, BIMCV's BIDS extension): export, read, validate; UMLS-coded findings."""
