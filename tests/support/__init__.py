"""Test support shared by the tests and the benches: fresh databases on both backends
(a pytest plugin, see tests/conftest.py) and real `svodka` processes (cluster)."""
