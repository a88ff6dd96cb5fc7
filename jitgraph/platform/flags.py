"""`tf.flags` / `tf.app.flags`: absl-style command-line flags on `argparse`.

    tf.flags.DEFINE_integer("steps", 100, "training steps")
    FLAGS = tf.flags.FLAGS
    ...  FLAGS.steps  (parsed from sys.argv on first access, or by tf.app.run)
"""
from __future__ import annotations

import argparse
import sys


class _FlagValues:
    def __init__(self):
        object.__setattr__(self, "_defs", {})
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parsed", False)

    def _define(self, name, default, help_text, kind):
        if name in self._defs:
            raise DuplicateFlagError(f"The flag '{name}' is defined twice.")
        self._defs[name] = (default, help_text, kind)
        self._values[name] = default

    def __call__(self, argv):
        """Parses `argv` (argv[0] is the program); returns the arguments left over."""
        parser = argparse.ArgumentParser(prog=argv[0] if argv else None, allow_abbrev=False)
        for name, (default, help_text, kind) in self._defs.items():
            if kind is bool:
                parser.add_argument(f"--{name}", nargs="?", const=True, default=default,
                                    type=_parse_bool, help=help_text)
                parser.add_argument(f"--no{name}", dest=name, action="store_false")
            elif kind is list:
                parser.add_argument(f"--{name}", default=default, help=help_text,
                                    type=lambda s: s.split(","))
            else:
                parser.add_argument(f"--{name}", default=default, type=kind, help=help_text)
        known, rest = parser.parse_known_args(argv[1:] if argv else [])
        self._values.update(vars(known))
        object.__setattr__(self, "_parsed", True)
        return argv[:1] + rest

    def __getattr__(self, name):
        if name not in self._defs:
            raise AttributeError(f"Unknown command line flag '{name}'")
        if not self._parsed:
            self(list(sys.argv))
        return self._values[name]

    def __setattr__(self, name, value):
        if name not in self._defs:
            raise AttributeError(f"Unknown command line flag '{name}'")
        self._values[name] = value

    def __contains__(self, name):
        return name in self._defs

    def is_parsed(self):
        return self._parsed

    def mark_as_parsed(self):
        object.__setattr__(self, "_parsed", True)

    def flag_values_dict(self):
        return dict(self._values)


class DuplicateFlagError(Exception):
    pass


def _parse_bool(s):
    if isinstance(s, bool):
        return s
    if s.lower() in ("true", "t", "1", "yes"):
        return True
    if s.lower() in ("false", "f", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"Non-boolean argument to boolean flag: {s}")


FLAGS = _FlagValues()


def DEFINE_string(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(name, default, help, str)


def DEFINE_integer(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(name, default, help, int)


def DEFINE_float(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(name, default, help, float)


def DEFINE_boolean(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(name, default, help, bool)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(name, default, help, list)
