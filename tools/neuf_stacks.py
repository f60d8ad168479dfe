# SPDX-License-Identifier: MIT
"""The kernel stacks of a process tree, for a subtest that runs long.

A subtest that takes minutes instead of seconds without failing leaves no
trace of where it spent them: the kernel logs nothing while a task loops
in reclaim, waits on a fence or faults over a slow page. neuf-runner's
--sample-stacks takes a sample of every task the subtest's process has
started (its whole tree of processes and threads, found through their
parents, so a child that left the session is still there) while it runs,
and appends it to a file of the subtest's own. Each task gets its state,
wchan, CPU, user and system time, memory cgroup and
/proc/PID/task/TID/stack (root only: the stack line says why when it
cannot be read). A task running on a CPU has no stack to show (the kernel
will not unwind it there); its times say whether it spends them in the
kernel or in user space. Each memory cgroup (v2) the tasks are in, but the
root, gets its usage, limit, events and memory.stat.
"""
import os

TICK = os.sysconf("SC_CLK_TCK")
# Reads of an empty stack before a running task counts as on a CPU.
STACK_TRIES = 50


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        return e


def _stat(pid):
    """(state, ppid, user s, system s, cpu) from /proc/PID/stat, or None
    once the task is gone."""
    text = _read(f"/proc/{pid}/stat")
    if isinstance(text, OSError):
        return None
    # The command name, in parentheses, may hold spaces and parentheses:
    # what follows it is field 3 (state) onwards.
    fields = text.rpartition(")")[2].split()
    try:
        return (fields[0], int(fields[1]), int(fields[11]) / TICK,
                int(fields[12]) / TICK, int(fields[36]))
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


def _stack(base, state):
    """A task's kernel stack: the lines, or why there are none. One that
    runs on a CPU has none to show; the reads try to catch it off one."""
    for _ in range(STACK_TRIES if state == "R" else 1):
        stack = _read(f"{base}/stack")
        if isinstance(stack, OSError):
            return [f"(no stack: {stack.strerror})"]
        if stack.strip():
            return stack.splitlines()
        os.sched_yield()
    return ["(no stack: on a CPU)" if state == "R" else "(no stack)"]


def _task_lines(pid, tid, cgroups):
    base = f"/proc/{pid}/task/{tid}"
    st = _stat(f"{pid}/task/{tid}")
    if st is None:
        return []
    comm = _read(f"{base}/comm")
    wchan = _read(f"{base}/wchan")
    lines = [f"-- {pid}/{tid} "
             f"{'?' if isinstance(comm, OSError) else comm.strip()} "
             f"state {st[0]} wchan "
             f"{'?' if isinstance(wchan, OSError) else wchan.strip() or '0'} "
             f"cpu {st[4]} user {st[2]:.2f} s system {st[3]:.2f} s "
             f"cgroup {' '.join(cgroups) or '?'}"]
    return lines + ["   " + line for line in _stack(base, st[0])]


def memory_lines(path):
    """The state of the cgroup v2 path (e.g. /neuf-stress-oom-1): its
    usage, limit, events and memory.stat."""
    base = f"/sys/fs/cgroup{path}"
    values = {}
    for name in ("memory.current", "memory.max", "memory.events",
                 "memory.stat"):
        text = _read(f"{base}/{name}")
        values[name] = "?" if isinstance(text, OSError) else \
            " ".join(text.split())
    lines = [f"-- memory cgroup {path}: current {values['memory.current']} "
             f"max {values['memory.max']}; events {values['memory.events']}"]
    stat = values["memory.stat"].split()
    pairs = [" ".join(stat[k:k + 2]) for k in range(0, len(stat), 2)]
    lines += ["   " + ", ".join(pairs[k:k + 8]) for k in range(0, len(pairs), 8)]
    return lines


def memory_cgroups(pid):
    """The memory cgroups of pid, as /proc/PID/cgroup names them: cgroup
    v2's (0::PATH), and v1's (N:memory:PATH) where it is mounted."""
    text = _read(f"/proc/{pid}/cgroup")
    if isinstance(text, OSError):
        return []
    # HIERARCHY:CONTROLLERS:PATH; v2's line has no controllers.
    return [line for line in text.splitlines()
            if line.split(":")[1:2] in (["memory"], [""])]


def sample(root):
    """The lines of one sample of root's tree, then of the memory cgroups
    (v2, but the root) its tasks are in."""
    lines, cgroups = [], []
    for pid in process_tree(root):
        mine = memory_cgroups(pid)
        try:
            tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
        for tid in tids:
            lines += _task_lines(pid, tid, mine)
        cgroups += [entry[3:] for entry in mine
                    if entry.startswith("0::") and entry != "0::/" and
                    entry[3:] not in cgroups]
    for path in cgroups:
        lines += memory_lines(path)
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
