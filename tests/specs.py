"""The small problems the tests share, written once (as TOML spec text).

``SMALL`` is the small problem most tests of the design, the tables, the data exports and
their commands use (d = 8, k = 3, n = 20; a student of width 6); ``tests/conftest.py`` gives
it as fixtures (the text, the loaded spec, a spec file).
"""

SMALL = """
[data]
d = 8
k = 3
n = 20
noise = 0.5
seed = 1

[teacher]
beta = 2.0
ridge = 1.0

[student]
beta = 2.0
ridge = 3.0
width = 6
"""
