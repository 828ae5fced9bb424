"""Versions of the removed issue tracker (``.../versions``); kept so old queries parse and explain."""

from ..shapes import issue_tracker_named_list

TABLE = issue_tracker_named_list("versions", "version")
