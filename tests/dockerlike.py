"""Run a command as Docker runs a container's process: the Docker-like simulation.

Docker (and so Gradescope and most CI runners) starts a container's root with a
seccomp profile that forbids making namespaces (``unshare``, ``setns``, the
namespace flags of ``clone``; ``clone3`` answers ENOSYS so the C library falls
back to ``clone``) and without ``CAP_SYS_ADMIN``.  This launcher, run as root,
installs such a filter (with libseccomp, through ``pyseccomp``), then execs
``setpriv`` to drop ``CAP_SYS_ADMIN`` from the bounding and inheritable sets
(and the other capabilities Docker's default set lacks), then the command::

    python tests/dockerlike.py python -m pytest tests/test_sandbox_attacks.py
    python tests/dockerlike.py --no-landlock python -m pytest ...   # an older Docker

Everything it starts inherits both, as in a container: bubblewrap cannot
create its namespaces and the grader must use its container mode.
"""

from __future__ import annotations

import errno
import os
import sys

#: Set for the command: the tests expect the container mode when it is there.
VARIABLE = "HARNESS_TEST_DOCKERLIKE"
#: Namespace flags of clone(2) (CLONE_NEWNS ... CLONE_NEWTIME), denied as Docker does.
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                   0x20000000, 0x40000000, 0x00000080)
#: Docker's default capability set; everything else (CAP_SYS_ADMIN, CAP_SYS_PTRACE, ...)
#: is dropped.
DOCKER_CAPS = ("chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid",
               "setpcap", "net_bind_service", "net_raw", "sys_chroot", "mknod",
               "audit_write", "setfcap")


def docker_seccomp(landlock: bool = True) -> None:
    """Install the namespace part of Docker's default seccomp profile on this process
    (``landlock=False``: also deny Landlock, as profiles older than Docker 23 do)."""
    import pyseccomp as sc

    rules = sc.SyscallFilter(sc.ALLOW)
    rules.set_attr(sc.Attr.CTL_NNP, 0)  # root with CAP_SYS_ADMIN, as runc is: no NNP
    denied = sc.ERRNO(errno.EPERM)
    for name in ("unshare", "setns", "mount", "umount2", "pivot_root"):
        rules.add_rule(denied, name)
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(denied, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    if not landlock:
        for name in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
            rules.add_rule(sc.ERRNO(errno.ENOSYS), name)
    rules.load()


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        sys.stderr.write("dockerlike.py simulates a container's root: run it as root\n")
        return 2
    landlock = "--no-landlock" not in argv[1:2]
    argv = [argv[0], *argv[1 + (not landlock):]]
    if len(argv) < 2:
        sys.stderr.write(__doc__ or "")
        return 2
    docker_seccomp(landlock)
    os.environ[VARIABLE] = "1"  # the tests say which isolation they expect
    caps = ",".join(["-all", *(f"+{c}" for c in DOCKER_CAPS)])
    os.execv("/usr/bin/setpriv", ["setpriv", "--bounding-set", caps, "--inh-caps", "-all",
                                  "--", *argv[1:]])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
