"""Re-identification risk of a released table (k-anonymity, l-diversity, t-closeness) and generalisation."""
