# SPDX-License-Identifier: MIT
"""The kernel stacks of a process tree, for a subtest that runs long.

A subtest that takes minutes instead of seconds without failing leaves no
trace of where it spent them: the kernel logs nothing while a task loops
in reclaim, waits on a fence or faults over a slow page. neuf-runner's
--sample-stacks takes a sample of every task the subtest's process has
started (its whole tree of processes and threads, found through their
parents, so a child that left the session is still there) while it runs,
and appends it to a file of the subtest's own. Each task gets its state,
wchan, memory cgroup and /proc/PID/task/TID/stack (root only: the stack
line says why when it cannot be read). A task running on a CPU has no
stack to show; its state (R) and the next sample say it kept running.
"""
import os


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        return e


def _stat(pid):
    """(state, ppid) from /proc/PID/stat, or None once the task is gone."""
    text = _read(f"/proc/{pid}/stat")
    if isinstance(text, OSError):
        return None
    # The command name, in parentheses, may hold spaces and parentheses.
    fields = text.rpartition(")")[2].split()
    try:
        return fields[0], int(fields[1])
    except (IndexError, ValueError):
        return None


def process_tree(root):
    """The pids of root and of every process descended from it."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(name)
            if st:
                children.setdefault(st[1], []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        tree.append(pid)
        todo += sorted(children.get(pid, []))
    return tree


def _task_lines(pid, tid, cgroup):
    base = f"/proc/{pid}/task/{tid}"
    st = _stat(f"{pid}/task/{tid}")
    if st is None:
        return []
    comm = _read(f"{base}/comm")
    wchan = _read(f"{base}/wchan")
    stack = _read(f"{base}/stack")
    lines = [f"-- {pid}/{tid} "
             f"{'?' if isinstance(comm, OSError) else comm.strip()} "
             f"state {st[0]} wchan "
             f"{'?' if isinstance(wchan, OSError) else wchan.strip() or '0'} "
             f"cgroup {cgroup}"]
    if isinstance(stack, OSError):
        lines.append(f"   (no stack: {stack.strerror})")
    else:
        lines += ["   " + line for line in stack.splitlines()]
    return lines


def memory_cgroup(pid):
    """The memory cgroup of pid: cgroup v2's, and v1's where it is mounted."""
    text = _read(f"/proc/{pid}/cgroup")
    if isinstance(text, OSError):
        return "?"
    # HIERARCHY:CONTROLLERS:PATH; v2's line has no controllers.
    found = [line for line in text.splitlines()
             if line.split(":")[1:2] in (["memory"], [""])]
    return " ".join(found) or "?"


def sample(root):
    """The lines of one sample of root's tree."""
    lines = []
    for pid in process_tree(root):
        cgroup = memory_cgroup(pid)
        try:
            tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
        for tid in tids:
            lines += _task_lines(pid, tid, cgroup)
    return lines


def write_sample(path, title, root):
    """Append one sample of root's tree, headed by title, to path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = sample(root)
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"== {title}\n")
        f.write("\n".join(lines or ["(no task left)"]) + "\n")


def stacks_path(resdir, key):
    """The file of a subtest's samples in a results directory."""
    return os.path.join(resdir, "stacks", key.replace(os.sep, "_") + ".txt")


def read_samples(resdir, key):
    """The samples taken of a subtest, oldest first, each a text headed by
    its "== " line; [] when none was taken."""
    text = _read(stacks_path(resdir, key))
    if isinstance(text, OSError):
        return []
    # Every sample starts a line with "== ", and the file with one.
    return ["== " + s for s in ("\n" + text).split("\n== ")[1:]]
