"""Components of the removed issue tracker (``.../components``); kept so old queries parse and explain."""

from ..shapes import issue_tracker_named_list

TABLE = issue_tracker_named_list("components", "component")
