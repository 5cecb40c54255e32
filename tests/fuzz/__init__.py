"""Deterministic mutation fuzzing of the commands' inputs (issue #13).

`mutators` turns a seed input (a golden case's file, a shared sample) into a mutated one, at the structure
level (a parsed document's values retyped, deleted, duplicated, replaced by hostile strings, ports, hosts,
paths, annotation values) and at the text level (truncation, flipped bytes, tabs, duplicated lines);
`harness` runs a command in-process on it and checks that no exception escapes, the exit code is a
documented one and what went to stdout parses.  tests/test_fuzz.py runs a modest budget; `python -m
tests.fuzz --help` runs thousands and saves each failure's input as a reproducer.
"""
