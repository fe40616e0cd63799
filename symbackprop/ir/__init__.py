"""The model package: the IR and everything that builds or reads one."""

from symbackprop.ir.builder import ModelBuilder, fully_connected
from symbackprop.ir.model import Kind, Model, Node, symbol

__all__ = ["Kind", "Model", "ModelBuilder", "Node", "fully_connected", "symbol"]
