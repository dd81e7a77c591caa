"""Shared test set-up: makes ``tests/fd.py`` importable as ``fd`` however pytest is invoked."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
