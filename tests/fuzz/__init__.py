"""Fuzzing the command line: a harness that runs one invocation and classifies what happened,
a corpus of hostile payloads, and the input channels that carry them (see tests/test_fuzz.py
and benchmarks/fuzz_table.py)."""
