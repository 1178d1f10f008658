"""Dataset readers: each turns a dataset on disk into one `Records` table."""

from radbank.sources.records import Records

__all__ = ["Records"]
