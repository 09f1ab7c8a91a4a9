#!/usr/bin/env python3
# seecitv
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The structure checks of issue 14, run by the suite (tests/meson.build,
# test "structure"), so that every later change keeps them:
#
# - no C/C++ source file under gst-libs, gst, ext or tools over 1,500
#   lines, and no function over 200 lines;
# - no file under gst/, ext/ or tools/ includes a header that lives in
#   another folder: "x.h" must be beside the file, <seecitv/...> must be
#   in gst-libs, and no other <x.h> may name a header of this tree; no
#   header outside gst-libs shares its basename with a header in another
#   folder (headers are told apart by basename);
# - every `reason` token the elements post is in docs/elements.md's
#   "Error details" table;
# - docs/architecture.md matches the tree: every path it names exists,
#   and it names every folder that holds sources.
#
# Usage: check-structure.py SOURCE_ROOT [--self-test]. Prints each problem
# as FILE:LINE: what, and exits 1 if there is any.
import os
import re
import sys

MAX_FILE_LINES = 1500
MAX_FUNCTION_LINES = 200
CODE_ROOTS = ('gst-libs', 'gst', 'ext', 'tools')
PLUGIN_ROOTS = ('gst', 'ext', 'tools')
SOURCE_EXT = ('.c', '.cpp', '.h', '.hpp')

# A definition starts with the name at column 0 followed by " (" (GNU
# style, the return type on the line above); its body runs from the next
# "{" at column 0 to the next "}" at column 0.
FUNC_START = re.compile(r'^([A-Za-z_][A-Za-z0-9_:~]*) \(')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
REASON = re.compile(r'"reason",\s*G_TYPE_STRING,\s*"([a-z0-9-]+)"')


def sources(root, tops):
    for top in tops:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SOURCE_EXT):
                    yield os.path.join(d, f)


def rel(root, path):
    return os.path.relpath(path, root)


def function_sizes(lines):
    """Yields (name, first line number, length in lines)."""
    i = 0
    n = len(lines)
    while i < n:
        m = FUNC_START.match(lines[i])
        if m is None or lines[i].rstrip().endswith(';'):
            i += 1
            continue
        j = i
        while j < n and not lines[j].startswith('{'):
            if lines[j].rstrip().endswith(';') or (j > i and
                                                   FUNC_START.match(lines[j])):
                break
            j += 1
        if j >= n or not lines[j].startswith('{'):
            i += 1
            continue
        k = j + 1
        while k < n and not lines[k].startswith('}'):
            k += 1
        yield m.group(1), i + 1, k - i + 1
        i = k + 1


def check_sizes(root, problems):
    for path in sources(root, CODE_ROOTS):
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.read().split('\n')
        if lines and lines[-1] == '':
            lines.pop()
        if len(lines) > MAX_FILE_LINES:
            problems.append('%s:1: %d lines (at most %d)' %
                            (rel(root, path), len(lines), MAX_FILE_LINES))
        for name, line, length in function_sizes(lines):
            if length > MAX_FUNCTION_LINES:
                problems.append('%s:%d: %s () has %d lines (at most %d)' %
                                (rel(root, path), line, name, length,
                                 MAX_FUNCTION_LINES))


def check_includes(root, problems):
    headers = {}                # basename -> set of folders
    for path in sources(root, CODE_ROOTS):
        if path.endswith(('.h', '.hpp')):
            headers.setdefault(os.path.basename(path), set()).add(
                rel(root, os.path.dirname(path)))
    for base, folders in sorted(headers.items()):
        outside = [d for d in folders if not d.startswith('gst-libs')]
        if len(folders) > 1 and outside:
            problems.append('%s: header name used in %s' %
                            (base, ', '.join(sorted(folders))))
    for path in sources(root, PLUGIN_ROOTS):
        folder = os.path.dirname(path)
        with open(path, encoding='utf-8', errors='replace') as f:
            for no, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if m is None:
                    continue
                kind, name = m.groups()
                where = '%s:%d' % (rel(root, path), no)
                if name == 'config.h':
                    continue
                if kind == '"':
                    if not os.path.isfile(os.path.join(folder, name)):
                        problems.append('%s: "%s" is not beside the file '
                                        '(shared code comes from gst-libs as '
                                        '<seecitv/...>)' % (where, name))
                elif name.startswith('seecitv/'):
                    if not os.path.isfile(os.path.join(root, 'gst-libs',
                                                       name)):
                        problems.append('%s: <%s> is not in gst-libs' %
                                        (where, name))
                elif os.path.basename(name) in headers:
                    problems.append('%s: <%s> names a header of this tree '
                                    'in %s' % (where, name, ', '.join(sorted(
                                        headers[os.path.basename(name)]))))


def check_reasons(root, problems):
    doc_path = os.path.join(root, 'docs', 'elements.md')
    with open(doc_path, encoding='utf-8') as f:
        doc = f.read()
    start = doc.find('\n## Error details')
    if start < 0:
        problems.append('docs/elements.md: no "## Error details" section')
        return
    end = doc.find('\n## ', start + 1)
    table = doc[start:end if end > 0 else len(doc)]
    documented = set(re.findall(r'`([a-z0-9-]+)`', table))
    for path in sources(root, ('gst', 'ext')):
        with open(path, encoding='utf-8', errors='replace') as f:
            for no, line in enumerate(f, 1):
                for token in REASON.findall(line):
                    if token not in documented:
                        problems.append('%s:%d: reason "%s" is not in '
                                        'docs/elements.md, "Error details"' %
                                        (rel(root, path), no, token))


PATH_SPAN = re.compile(r'`((?:gst-libs|gst|ext|tools|tests|docs|bench)/'
                       r'[A-Za-z0-9_./-]*)`')
FILE_SPAN = re.compile(r'`([A-Za-z0-9_-]+\.(?:c|cpp|h))`')


def check_architecture(root, problems):
    doc_path = os.path.join(root, 'docs', 'architecture.md')
    try:
        with open(doc_path, encoding='utf-8') as f:
            lines = f.read().split('\n')
    except OSError:
        problems.append('docs/architecture.md: missing')
        return
    named = set()
    for no, line in enumerate(lines, 1):
        row = PATH_SPAN.findall(line)
        for path in row:
            named.add(path.rstrip('/'))
            if not os.path.exists(os.path.join(root, path)):
                problems.append('docs/architecture.md:%d: %s does not exist'
                                % (no, path))
        # a file named alone in a row that names a folder lives there
        folders = [p for p in row if p.endswith('/')]
        for name in FILE_SPAN.findall(line):
            if folders and not any(os.path.exists(os.path.join(root, d, name))
                                   for d in folders + ['tools/']):
                problems.append('docs/architecture.md:%d: %s is not in %s' %
                                (no, name, ', '.join(folders)))
    for path in sources(root, CODE_ROOTS):
        folder = rel(root, os.path.dirname(path))
        if folder not in named:
            problems.append('docs/architecture.md: folder %s/ is not named'
                            % folder)
            named.add(folder)


def self_test():
    """The checks can fail: each finds what it is meant to."""
    long_function = ['static void', 'f (void)', '{'] + \
        ['  x ();'] * MAX_FUNCTION_LINES + ['}']
    sizes = list(function_sizes(long_function))
    assert sizes == [('f', 2, MAX_FUNCTION_LINES + 3)], sizes
    short = ['int', 'main (int argc, char **argv)', '{', '  return 0;', '}']
    assert list(function_sizes(short)) == [('main', 2, 4)]
    assert list(function_sizes(['void f (void);'])) == []
    assert INCLUDE.match('#include "keystore.h"').groups() == \
        ('"', 'keystore.h')
    assert REASON.findall('("reason", G_TYPE_STRING, "no-space",') == \
        ['no-space']
    print('self-test passed')


def main():
    if len(sys.argv) < 2:
        print('usage: check-structure.py SOURCE_ROOT [--self-test]',
              file=sys.stderr)
        return 2
    if '--self-test' in sys.argv:
        self_test()
    root = sys.argv[1]
    problems = []
    check_sizes(root, problems)
    check_includes(root, problems)
    check_reasons(root, problems)
    check_architecture(root, problems)
    for p in problems:
        print(p)
    print('%d problem(s)' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
