"""hzsim: a stateful simulator of the Horizon Server REST API, release 2312."""

__version__ = "0.1.0"
