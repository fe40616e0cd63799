"""The model package: the IR and everything that builds or reads one."""

from symbackprop.model.builder import ModelBuilder, fully_connected
from symbackprop.model.ir import Kind, Model, Node, symbol

__all__ = ["Kind", "Model", "ModelBuilder", "Node", "fully_connected", "symbol"]
