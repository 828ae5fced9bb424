"""The table catalog: one declarative definition per table (see :mod:`.model`)."""
