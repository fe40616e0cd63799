"""Jinja2 templates of generated files, installed as symbackprop.templates."""
