"""Differential testing of the pushdown engine (issue 9): a data set full of tricky strings, a
seeded generator of random SQL, and the comparison of pushed answers with ground truth."""
