"""`tf.gfile`: TF 1.x's file functions, on the local file system."""
from __future__ import annotations

import glob as _glob
import os
import shutil

from jitgraph.framework import errors


def GFile(name, mode="r"):  # noqa: N802 - TF's name
    try:
        return open(name, mode)
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, f"{name}; No such file or directory") from e


Open = FastGFile = GFile


def Exists(filename):  # noqa: N802
    return os.path.exists(filename)


def IsDirectory(dirname):  # noqa: N802
    return os.path.isdir(dirname)


def ListDirectory(dirname):  # noqa: N802
    if not os.path.isdir(dirname):
        raise errors.NotFoundError(None, None, f"Could not find directory {dirname}")
    return os.listdir(dirname)


def Glob(filename):  # noqa: N802
    return _glob.glob(filename)


def MakeDirs(dirname):  # noqa: N802
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname):  # noqa: N802
    os.mkdir(dirname)


def Remove(filename):  # noqa: N802
    try:
        os.remove(filename)
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, f"{filename}; No such file or directory") from e


def DeleteRecursively(dirname):  # noqa: N802
    shutil.rmtree(dirname)


def Copy(oldpath, newpath, overwrite=False):  # noqa: N802
    if not overwrite and os.path.exists(newpath):
        raise errors.AlreadyExistsError(None, None, f"file already exists: {newpath}")
    shutil.copyfile(oldpath, newpath)


def Rename(oldname, newname, overwrite=False):  # noqa: N802
    if not overwrite and os.path.exists(newname):
        raise errors.AlreadyExistsError(None, None, f"file already exists: {newname}")
    os.replace(oldname, newname)


def Stat(filename):  # noqa: N802
    return os.stat(filename)


def Walk(top, in_order=True):  # noqa: N802
    yield from os.walk(top)
