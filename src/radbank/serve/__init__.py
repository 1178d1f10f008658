"""`radbank serve`: a web page and a JSON API over a trained run (predict, explain, de-identify on upload)."""
