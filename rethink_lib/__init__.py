"""rethink_lib: the library behind the 'rethinking generalization' reproduction book."""
__version__ = "0.2.0"
