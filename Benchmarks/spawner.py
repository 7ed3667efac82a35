"""Starts the measured processes for run.py and measures them with os.wait4.

Why a process of its own: Linux keeps a process's peak RSS across exec, and a forked child
starts with its parent's peak, so the ru_maxrss of a child forked straight from run.py could
never read below run.py's own peak (40 MB and more once it has read a corpus). This process
stays small (started as `python3 -S`, using only os, sys, time and marshal), so the peak RSS
of its children is their own down to its floor, which run.py measures with a no-op child
(`true`) and prints.

Protocol (marshal objects on stdin and stdout, one reply per request):
  ("spawn", argv, cwd, stdout_path, stderr_path) -> (pid, start)   stdin is /dev/null
  ("wait", pid)                                  -> (pid, exit_status, cpu_s, maxrss_kb, end)
start and end are time.monotonic() (CLOCK_MONOTONIC, the same clock in every process).
exit_status is negative for a signal. The environment is this process's own.
"""

import marshal
import os
import sys
import time


def spawn(argv, cwd, stdout_path, stderr_path):
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            os.dup2(os.open(stdout_path or os.devnull, flags, 0o644), 1)
            os.dup2(os.open(stderr_path or os.devnull, flags, 0o644), 2)
            os.closerange(3, 1024)
            if cwd:
                os.chdir(cwd)
            os.execv(argv[0], argv)
        except BaseException as error:  # noqa: B036 - the child must never return into the loop
            os.write(2, ("spawner: cannot run %s: %s\n" % (argv[0], error)).encode())
        os._exit(127)
    return pid, start


def main():
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            request = marshal.load(requests)
        except EOFError:
            return 0
        if request[0] == "spawn":
            reply = spawn(*request[1:])
        else:
            pid, status, usage = os.wait4(request[1], 0)
            reply = (pid, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
                     usage.ru_maxrss, time.monotonic())
        marshal.dump(reply, replies)
        replies.flush()


if __name__ == "__main__":
    sys.exit(main())
