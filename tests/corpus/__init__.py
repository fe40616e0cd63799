"""Hand-written backprop as people write it, labelled by an independent oracle.

A family is one correct program (tests/corpus/families_*.py) with a PyTorch forward written
apart from it; mutants change one backward line each (mutations.py). The oracle (oracle.py)
runs each case's own NumPy code and compares its gradients and deltas with torch autograd;
scoring.py runs ``check`` over every case and gathers the figures.
"""
