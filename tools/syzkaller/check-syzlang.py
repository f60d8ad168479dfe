#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check neuf's syzkaller descriptions against its uAPI header.

syzkaller cannot be built here, so its compiler cannot check
tools/syzkaller/neuf.txt; this does what matters for a description that
must track a header:

- the syntax of what the file uses (resources, syscalls, structs, unions,
  flags, type expressions with balanced brackets, field attributes);
- every type named is a syzlang builtin, defined in the file, or one of
  syzkaller's own that dev_dri.txt provides (EXTERNAL);
- every constant named is defined by the uAPI header (a #define or an enum
  member), or is one of the few system ones (SYSTEM_CONSTS);
- every DRM_IOCTL_NEUF_* of the header has an ioctl$ description, whose
  argument struct (and its $variants) has the header struct's fields in
  the header's order, with the same names and sizes;
- len[] and bytesize[] name a field of their struct or an argument of
  their syscall; ptr[] and ptr64[] give a direction.

Usage: check-syzlang.py [DESCRIPTIONS [HEADER]] (defaults: the repository's
tools/syzkaller/neuf.txt and uapi/drm/neuf_drm.h). Prints each problem
and exits 1 if there is any.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INT_SIZES = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "intptr": 8,
             "bool8": 1, "bool16": 2, "bool32": 4, "bool64": 8}
# Builtins whose size does not depend on their arguments, or is unknown
# here (None: they are never struct fields of a header struct).
BUILTINS = {**INT_SIZES, "ptr": 8, "ptr64": 8, "vma": 8, "vma64": 8,
            "fd": 4, "string": None, "stringnoz": None, "array": None,
            "const": None, "flags": None, "len": None, "bytesize": None,
            "void": 0, "proc": None, "text": None, "fileoff": 8,
            "filename": None, "csum": None, "fmt": None, "glob": None}
# syzkaller's own, from sys/linux/dev_dri.txt: (size, kind).
EXTERNAL = {"fd_dri": 4, "drm_syncobj": 4}
SYSTEM_CONSTS = {"AT_FDCWD", "O_RDWR"}
DIRECTIONS = {"in", "out", "inout"}
C_SIZES = {"__u8": 1, "__s8": 1, "__u16": 2, "__s16": 2, "__u32": 4,
           "__s32": 4, "__u64": 8, "__s64": 8}


class Problems(list):
    """The problems found, each once (a struct is sized wherever it is used)."""
    def add(self, line, msg):
        text = f"line {line}: {msg}" if line else msg
        if text not in self:
            self.append(text)


def parse_header(path):
    """(constants {name: value or None}, structs {name: [(field, size)]},
    ioctls {DRM_IOCTL_NEUF_X: struct name})."""
    text = open(path, encoding="utf-8").read()
    body = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    consts = {}
    for m in re.finditer(r"^#define\s+([A-Z][A-Z0-9_]*)[ \t]+(.+)$", body, re.M):
        consts[m.group(1)] = m.group(2).strip()
    for m in re.finditer(r"\benum\s+\w+\s*\{(.*?)\}", body, re.S):
        for member in m.group(1).split(","):
            name = member.split("=")[0].strip()
            if name:
                consts[name] = member.split("=")[1].strip() if "=" in member else None
    ioctls = {}
    for m in re.finditer(r"^#define\s+(DRM_IOCTL_NEUF_\w+)\s*\\?\s*DRM_IO\w*\(.*?struct\s+(\w+)\)",
                         body, re.M | re.S):
        ioctls[m.group(1)] = m.group(2)

    def value(name):
        v = consts.get(name)
        if v is None:
            return None
        v = v.rstrip("uUlL")
        try:
            return int(v, 0)
        except ValueError:
            return value(v) if v in consts else None

    structs = {}
    for m in re.finditer(r"\bstruct\s+(\w+)\s*\{(.*?)\};", body, re.S):
        fields = []
        for decl in m.group(2).split(";"):
            f = re.match(r"\s*(__[us]\d+)\s+(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*$", decl)
            if f:
                n = 1
                if f.group(3):
                    n = int(f.group(3)) if f.group(3).isdigit() else value(f.group(3))
                fields.append((f.group(2), C_SIZES[f.group(1)] * (n or 0)))
        structs[m.group(1)] = fields
    return consts, structs, ioctls


def split_args(s):
    """Split a bracket's content at its top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_type(s):
    """'name[a, b]' -> ('name', ['a', 'b']); None if malformed."""
    m = re.fullmatch(r"([A-Za-z_][\w$]*)\s*(?:\[(.*)\])?", s.strip(), re.S)
    if not m:
        return None
    inner = m.group(2)
    if inner is not None and inner.count("[") != inner.count("]"):
        return None
    return m.group(1), split_args(inner) if inner is not None else []


class Checker:
    def __init__(self, desc_path, header_path):
        self.p = Problems()
        self.consts, self.cstructs, self.ioctls = parse_header(header_path)
        self.resources = {}     # name -> base type
        self.flags = {}         # name -> [values]
        self.structs = {}       # name -> (line, [(field, type, attrs, line)], union)
        self.syscalls = []      # (line, name, [(arg, type)], ret)
        self.used = set()
        self.parse(desc_path)

    # ---- parsing -------------------------------------------------------
    def parse(self, path):
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            no, line = i + 1, lines[i].split("#")[0].rstrip()
            i += 1
            if not line.strip():
                continue
            if line.startswith("include "):
                if not re.fullmatch(r"include <[\w/.]+\.h>", line):
                    self.p.add(no, f"malformed include: {line}")
                continue
            m = re.fullmatch(r"resource (\w+)\[(\w+)\](?::\s*(.+))?", line)
            if m:
                self.resources[m.group(1)] = (no, m.group(2))
                continue
            m = re.fullmatch(r"(\w+)\s*=\s*(.+)", line)
            if m and m.group(1) != "_":
                self.flags[m.group(1)] = (no, [v.strip() for v in m.group(2).split(",")])
                continue
            if m:
                continue
            m = re.fullmatch(r"([\w$]+)\s*([{\[])", line)
            if m:
                union = m.group(2) == "["
                end = "]" if union else "}"
                fields = []
                while i < len(lines) and not re.fullmatch(
                        re.escape(end) + r"(\s*\[[\w, ]+\])?", lines[i].split("#")[0].strip()):
                    fno, fline = i + 1, lines[i].split("#")[0].strip()
                    i += 1
                    if not fline:
                        continue
                    fm = re.fullmatch(r"(\w+)\s+(.+?)(?:\s+\(([\w, ]+)\))?", fline)
                    if not fm:
                        self.p.add(fno, f"malformed field: {fline}")
                        continue
                    fields.append((fm.group(1), fm.group(2), fm.group(3), fno))
                if i >= len(lines):
                    self.p.add(no, f"{m.group(1)}: no closing {end}")
                i += 1
                if m.group(1) in self.structs:
                    self.p.add(no, f"{m.group(1)} defined twice")
                self.structs[m.group(1)] = (no, fields, union)
                continue
            m = re.fullmatch(r"([\w]+\$?[\w]*)\((.*)\)(?:\s+(\w+))?", line)
            if m:
                args = []
                for a in split_args(m.group(2)):
                    am = re.fullmatch(r"(\w+)\s+(.+)", a)
                    if not am:
                        self.p.add(no, f"malformed argument: {a}")
                        continue
                    args.append((am.group(1), am.group(2)))
                self.syscalls.append((no, m.group(1), args, m.group(3)))
                continue
            self.p.add(no, f"not syzlang: {line}")

    # ---- checks --------------------------------------------------------
    def const_ok(self, no, tok):
        if re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", tok) or tok.startswith('"'):
            return
        if tok in self.consts or tok in SYSTEM_CONSTS:
            return
        self.p.add(no, f"constant {tok} is not in the uAPI header")

    def type_size(self, no, texpr, fields, ctx):
        """Check a type expression; return its size in bytes or None."""
        t = parse_type(texpr)
        if not t:
            self.p.add(no, f"malformed type: {texpr}")
            return None
        name, args = t
        self.used.add(name)
        if name in INT_SIZES:
            for a in args:
                for bound in re.split(r"[:]", a):
                    bound = bound.strip()
                    if bound:
                        self.const_ok(no, bound)
            return INT_SIZES[name]
        if name in ("ptr", "ptr64"):
            if len(args) != 2 or args[0] not in DIRECTIONS:
                self.p.add(no, f"{name} needs a direction and a type: {texpr}")
                return 8
            self.type_size(no, args[1], None, ctx)
            return 8
        if name == "const":
            if not args:
                self.p.add(no, f"const needs a value: {texpr}")
                return None
            self.const_ok(no, args[0])
            return self.type_size(no, args[1], None, ctx) if len(args) > 1 else None
        if name == "flags":
            if not args or args[0] not in self.flags:
                self.p.add(no, f"flags {args[0] if args else '?'} are not defined")
            else:
                self.used.add(args[0])
            return self.type_size(no, args[1], None, ctx) if len(args) > 1 else None
        if name in ("len", "bytesize"):
            if not args or args[0] not in (fields or ()):
                self.p.add(no, f"{name}[] of {args[0] if args else '?'}: no such field in {ctx}")
            return self.type_size(no, args[1], None, ctx) if len(args) > 1 else None
        if name == "array":
            if not args:
                self.p.add(no, f"array needs an element type: {texpr}")
                return None
            elem = self.type_size(no, args[0], None, ctx)
            if len(args) < 2:
                return None
            rng = args[1]
            for bound in rng.split(":"):
                self.const_ok(no, bound.strip())
            if ":" in rng or elem is None:
                return None
            n = int(rng, 0) if re.fullmatch(r"\d+|0x[0-9a-fA-F]+", rng) else self.const_value(rng)
            return elem * n if n is not None else None
        if name in ("string", "stringnoz"):
            return None
        if name in BUILTINS:
            return BUILTINS[name]
        if name in EXTERNAL:
            return EXTERNAL[name]
        if name in self.resources:
            return self.type_size(no, self.resources[name][1], None, ctx)
        if name in self.structs:
            return self.struct_size(name)
        self.p.add(no, f"type {name} is not defined")
        return None

    def const_value(self, name):
        v = self.consts.get(name)
        try:
            return int(v.rstrip("uUlL"), 0) if v else None
        except ValueError:
            return None

    def struct_size(self, name):
        _, fields, union = self.structs[name]
        names = [f for f, _, _, _ in fields]
        sizes = [self.type_size(no, t, names, name) for _, t, _, no in fields]
        if any(s is None for s in sizes):
            return None
        return max(sizes) if union else sum(sizes)

    def check(self):
        for name, (no, base) in self.resources.items():
            if base not in INT_SIZES and base not in EXTERNAL and base not in self.resources:
                self.p.add(no, f"resource {name}: base {base} is not an integer or resource")
        for name, (no, values) in self.flags.items():
            for v in values:
                self.const_ok(no, v)
        for name, (no, fields, union) in self.structs.items():
            names = [f for f, _, _, _ in fields]
            if len(set(names)) != len(names):
                self.p.add(no, f"{name}: a field is named twice")
            for field, texpr, attrs, fno in fields:
                self.type_size(fno, texpr, names, name)
                for a in (attrs or "").split(","):
                    if a.strip() and a.strip() not in DIRECTIONS:
                        self.p.add(fno, f"{name}.{field}: unknown attribute {a.strip()}")
        described = {}
        for no, call, args, ret in self.syscalls:
            argnames = [a for a, _ in args]
            for _, texpr in args:
                self.type_size(no, texpr, argnames, call)
            if ret and ret not in self.resources and ret not in EXTERNAL:
                self.p.add(no, f"{call}: returns {ret}, not a resource")
            if call.startswith("ioctl$"):
                cmd = dict(args).get("cmd", "")
                m = re.fullmatch(r"const\[(\w+)\]", cmd)
                arg = parse_type(dict(args).get("arg", ""))
                if not m or not arg or arg[0] != "ptr" or len(arg[1]) != 2:
                    self.p.add(no, f"{call}: needs cmd const[...] and arg ptr[dir, struct]")
                    continue
                described.setdefault(m.group(1), []).append((no, arg[1][1]))
        for ioctl, cstruct in sorted(self.ioctls.items()):
            if ioctl not in described:
                self.p.add(0, f"{ioctl} has no ioctl$ description")
                continue
            for no, sstruct in described[ioctl]:
                if sstruct.split("$")[0] != cstruct:
                    self.p.add(no, f"{ioctl} takes struct {cstruct}, described with {sstruct}")
                    continue
                self.compare(no, sstruct, cstruct)
        for name in self.structs:
            if name not in self.used:
                self.p.add(self.structs[name][0], f"{name} is never used")
        for name in self.flags:
            if name not in self.used:
                self.p.add(self.flags[name][0], f"flags {name} are never used")
        return self.p

    def compare(self, no, sstruct, cstruct):
        if sstruct not in self.structs:
            self.p.add(no, f"{sstruct} is not defined")
            return
        _, fields, union = self.structs[sstruct]
        cfields = self.cstructs.get(cstruct)
        if cfields is None:
            self.p.add(no, f"struct {cstruct} is not in the uAPI header")
            return
        names = [f for f, _, _, _ in fields]
        got = [(f, self.type_size(fno, t, names, sstruct)) for f, t, _, fno in fields]
        if [f for f, _ in got] != [f for f, _ in cfields]:
            self.p.add(no, f"{sstruct}: fields {[f for f, _ in got]} are not the header's "
                           f"{[f for f, _ in cfields]}")
            return
        for (f, size), (_, csize) in zip(got, cfields):
            if size != csize:
                self.p.add(no, f"{sstruct}.{f}: {size} bytes, the header's {csize}")


def main(argv):
    desc = argv[1] if len(argv) > 1 else os.path.join(TOP, "tools", "syzkaller", "neuf.txt")
    header = argv[2] if len(argv) > 2 else os.path.join(TOP, "uapi", "drm", "neuf_drm.h")
    problems = Checker(desc, header).check()
    for p in problems:
        print(f"{os.path.relpath(desc)}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
