#pragma once
// berth-shim: the per-container supervisor process (see shim_client.h for how berthd drives it
// and protocol.h for the control protocol).
//
// One single-threaded epoll loop. The shim is a child subreaper: the container's init, cloned
// by the runtime library in-process, is its child; it reaps it and records the exit in
// <state_dir>/exit.json (atomic write). It owns the container's stdio: three pipes (stdin is
// /dev/null unless open_stdin) or, with tty, the pty master received from init over an
// in-process console socket. Output goes to the json-file log and to attached clients
// (Docker's multiplexed framing or raw). When the container exits, the output is drained, the
// clients' connections are flushed and closed, and watchers are told. The shim then waits for
// "shutdown", deletes the runtime container and exits. Its own log is <state_dir>/shim.log.

#include <string>
#include <string_view>

#include "base/detach_keys.h"
#include "base/result.h"
#include "shim/shim_config.h"

namespace berth::shim {

// berth-shim's main(): parses argv, daemonises (forks; the parent exits at once so the caller
// reaps it and the shim is reparented away), runs the shim. Returns the process exit code.
int shimMain(int argc, char** argv);

}  // namespace berth::shim
