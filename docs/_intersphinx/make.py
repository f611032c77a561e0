"""Write the small intersphinx inventories these pages use, with no network.

Sphinx's intersphinx reads an inventory (``objects.inv``) to learn which
names another project documents and where. The real inventories would have
to be downloaded at build time; instead, this script writes inventories for
the names these pages actually reference, with the addresses those names
have in the projects' online documentation. Run it after adding a name
(the nitpicky build, ``-n``, reports a name it cannot resolve)::

    python docs/_intersphinx/make.py

Each line below is ``name role page``; the anchor is the name itself.
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROJECTS = {
    "python": (
        "Python",
        "3",
        """
        str py:class library/stdtypes.html
        int py:class library/functions.html
        float py:class library/functions.html
        bool py:class library/functions.html
        list py:class library/stdtypes.html
        tuple py:class library/stdtypes.html
        dict py:class library/stdtypes.html
        object py:class library/functions.html
        BaseException py:exception library/exceptions.html
        Exception py:exception library/exceptions.html
        ValueError py:exception library/exceptions.html
        NotImplementedError py:exception library/exceptions.html
        None py:data library/constants.html
        True py:data library/constants.html
        False py:data library/constants.html
        argparse.ArgumentParser py:class library/argparse.html
        argparse.Namespace py:class library/argparse.html
        pathlib.Path py:class library/pathlib.html
        typing.Any py:data library/typing.html
        typing.Callable py:data library/typing.html
        typing.Literal py:data library/typing.html
        typing.Union py:data library/typing.html
        typing.Sequence py:class library/typing.html
        typing.Mapping py:class library/typing.html
        typing.Iterable py:class library/typing.html
        collections.abc.Callable py:class library/collections.abc.html
        collections.abc.Mapping py:class library/collections.abc.html
        collections.abc.Sequence py:class library/collections.abc.html
        collections.abc.Iterable py:class library/collections.abc.html
    """,
    ),
    "numpy": (
        "NumPy",
        "2",
        """
        numpy.ndarray py:class reference/generated/numpy.ndarray.html
        numpy.random.Generator py:class reference/random/generator.html
        numpy.errstate py:class reference/generated/numpy.errstate.html
        numpy.logaddexp py:data reference/generated/numpy.logaddexp.html
    """,
    ),
    "torch": (
        "PyTorch",
        "2.13",
        """
        torch.Tensor py:class tensors.html
        torch.device py:class tensor_attributes.html
        torch.dtype py:class tensor_attributes.html
        torch.nn.Module py:class generated/torch.nn.Module.html
        torch.nn.Linear py:class generated/torch.nn.Linear.html
        torch.nn.RNN py:class generated/torch.nn.RNN.html
        torch.nn.RNNCell py:class generated/torch.nn.RNNCell.html
        torch.nn.GRUCell py:class generated/torch.nn.GRUCell.html
        torch.nn.AvgPool1d py:class generated/torch.nn.AvgPool1d.html
        torch.nn.MaxPool1d py:class generated/torch.nn.MaxPool1d.html
        torch.nn.NLLLoss py:class generated/torch.nn.NLLLoss.html
        torch.autograd.Function py:class autograd.html
        torch.autograd.function.Function py:class autograd.html
        torch.nn.modules.module.Module py:class generated/torch.nn.Module.html
        torch.autograd.gradcheck py:function generated/torch.autograd.gradcheck.gradcheck.html
        torch.optim.SGD py:class generated/torch.optim.SGD.html
        torch.optim.Adam py:class generated/torch.optim.Adam.html
        torch.nn.functional.softplus py:function generated/torch.nn.functional.softplus.html
        torch.nn.functional.mse_loss py:function generated/torch.nn.functional.mse_loss.html
        torch.nn.functional.cross_entropy py:function generated/torch.nn.functional.cross_entropy.html
        torch.no_grad py:class generated/torch.no_grad.html
    """,
    ),
}


def inventory(project: str, version: str, table: str) -> bytes:
    lines = []
    for row in table.split("\n"):
        if not row.strip():
            continue
        name, role, page = row.split()
        lines.append(f"{name} {role} 1 {page}#$ -")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    return header.encode() + zlib.compress(("\n".join(sorted(lines)) + "\n").encode(), 9)


def main() -> None:
    for key, (project, version, table) in PROJECTS.items():
        (HERE / f"{key}.inv").write_bytes(inventory(project, version, table))
        print(f"wrote docs/_intersphinx/{key}.inv")


if __name__ == "__main__":
    main()
