#!/usr/bin/python3
"""qmig built as the meson subproject of a parent project.

The parent is what QEMU's build does with qmig: find_program('qmig-gen')
and dependency('qmig') with the subproject as fallback, qmig-gen run as
a generator step (custom_target with a depfile), the generated C
compiled and linked against libqmig.  Checks that it builds and runs,
that a file including the generated headers compiles when it is built
first (ninja may schedule it before the generator step), and that the
subproject brought no tests, tools or docs of its own.

usage: run-subproject-test.py QMIG_SOURCE_ROOT WORKDIR
"""

import json
import os
import re
import shutil
import subprocess
import sys

PARENT_MESON = """\
project('parent', 'c', default_options: ['c_std=c11'])
# dependency() first: its fallback configures subprojects/qmig, whose
# override then answers find_program().
qmig_dep = dependency('qmig', fallback: ['qmig'])
qmig_gen = find_program('qmig-gen')
gen = custom_target('qmig-migration',
  input: files('schema/migration.json'),
  output: ['qmig-migration-types.c', 'qmig-migration-types.h',
           'qmig-migration-validate.c', 'qmig-migration-validate.h',
           'qmig-migration-channels.c', 'qmig-migration-channels.h',
           'qmig-migration-handshake.c', 'qmig-migration-handshake.h',
           'qmig-migration-rules.rst', 'qmig-migration-reference.rst'],
  depfile: 'qmig-migration.d',
  command: [qmig_gen, 'generate', '-o', '@OUTDIR@',
            '--depfile', '@DEPFILE@',
            '--features', meson.current_source_dir() / 'schema/features',
            '@INPUT@'])
# The headers are sources too: that orders every compile after the
# generator step (parent.c includes them), as docs/integration.rst says.
executable('parent', 'parent.c', gen[0], gen[1], gen[2], gen[3], gen[4],
  gen[5], gen[6], gen[7], dependencies: qmig_dep)
"""

PARENT_C = """\
#include <stdio.h>
#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"
#include "qmig/json.h"

int main(void)
{
    static const char doc[] =
        "{\\"capabilities\\": {\\"multifd\\": true, \\"xbzrle\\": true}}";
    QmigMigrationConfig config;
    QmigViolations violations;
    QmigError *err = NULL;
    qmig_migration_config_init(&config);
    if (!qmig_config_from_json(&config, doc, sizeof(doc) - 1, &err)) {
        fprintf(stderr, "%s\\n", qmig_error_message(err));
        return 2;
    }
    qmig_config_validate(&config, &violations);
    for (unsigned i = 0; i < violations.count; i++) {
        printf("%s\\n", violations.items[i]->id);
    }
    qmig_config_clear(&config);
    return violations.count == 1 ? 0 : 1;
}
"""


# The parent builds without ccache: the cache is shared with the QEMU
# builds of other suites, and this test is about meson, not about them.
ENV = dict(os.environ, CCACHE_DISABLE='1')


def failure_excerpt(output, limit=40):
    """What a failed step said, short enough to survive CI logs: from
    ninja's first FAILED: line on, without its progress lines."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith('FAILED:')), max(0, len(lines) - limit))
    kept = [line for line in lines[start:]
            if not re.match(r'\[\d+/\d+\] ', line)]
    return '\n'.join(kept[:limit])


def run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env=ENV)
    if proc.returncode != 0:
        log = os.path.join(cwd, 'failed-step.log')
        with open(log, 'w') as f:
            f.write(proc.stdout + proc.stderr)
        free = shutil.disk_usage(cwd).free // (1 << 20)
        sys.exit('FAIL: %s exited %d (%d MiB free; whole output in %s)\n%s'
                 % (' '.join(cmd), proc.returncode, free, log,
                    failure_excerpt(proc.stdout + proc.stderr)))
    return proc.stdout


def main():
    root, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    parent = os.path.join(work, 'parent')
    os.makedirs(os.path.join(parent, 'subprojects'))
    # The checkout itself as subprojects/qmig, as QEMU's tree would hold
    # a copy; build directories of the checkout are left out.
    shutil.copytree(root, os.path.join(parent, 'subprojects', 'qmig'),
                    ignore=shutil.ignore_patterns('build*', '.git'))
    shutil.copytree(os.path.join(root, 'schema'),
                    os.path.join(parent, 'schema'))
    with open(os.path.join(parent, 'meson.build'), 'w') as f:
        f.write(PARENT_MESON)
    with open(os.path.join(parent, 'parent.c'), 'w') as f:
        f.write(PARENT_C)
    build = os.path.join(work, 'build')
    # Even with an installed qmig, the subproject is what is tested.
    run(['meson', 'setup', '--force-fallback-for=qmig',
         '-Db_colorout=never', build, parent],
        cwd=work)
    # parent.c alone first: ninja may schedule it before the generator
    # step, and it must then wait for it (the headers are generated).
    run(['ninja', '-C', build, 'parent.p/parent.c.o'], cwd=work)
    run(['ninja', '-C', build], cwd=work)
    out = run([os.path.join(build, 'parent')], cwd=work)
    if out.split() != ['multifd-conflicts-xbzrle']:
        sys.exit('FAIL: parent printed %r' % out)
    targets = json.loads(run(['meson', 'introspect', build, '--targets'],
                             cwd=work))
    ours = sorted(t['name'] for t in targets
                  if t.get('subproject') == 'qmig')
    extra = [t for t in ours if t not in ('qmig', 'qmig-gen', 'qmiggen')]
    tests = json.loads(run(['meson', 'introspect', build, '--tests'],
                           cwd=work))
    if extra or tests:
        sys.exit('FAIL: the subproject built %s and %d tests'
                 % (extra, len(tests)))
    installed = json.loads(run(['meson', 'introspect', build,
                                '--installed'], cwd=work))
    if any('qmig' in path for path in installed):
        sys.exit('FAIL: the subproject installs %s' % sorted(installed))
    print('subproject: built qmig targets %s; parent ran and found the '
          'one broken rule; no tests, tools, docs or installs' % ours)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
