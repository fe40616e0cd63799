"""``symbackprop demo``: the seed document's six questions, answered one after another."""

from symbackprop.demo.run import run_demo

__all__ = ["run_demo"]
