#pragma once
// The berth-shim control protocol (shared by ShimClient and the shim).
//
// Transport: an AF_UNIX SOCK_SEQPACKET socket at <state_dir>/shim.sock (message boundaries are
// kept, so there is no length prefix). One request per connection: the client sends one message,
// a JSON object of at most kMaxMessage bytes, optionally carrying one fd as SCM_RIGHTS control
// data; the shim answers with one JSON message and closes the connection.
//
// Requests ({"op": ...}) and their replies (besides "ok"):
//   info                                         {"pid": shim pid, "container_pid": n,
//                                                 "status": "created"|"running"|"exited"}
//   start                                        {"pid": container pid}
//   kill {"signal": n, "all": bool}
//   resize {"rows": n, "cols": n}
//   close_stdin
//   exit_status                                  {"exited": bool, "record": <exit record>}
//   attach {"stdin","stdout","stderr","multiplexed": bool, "detach_keys": s,
//           "stdin_prefix_hex": input already read from the client, hex} + the client's fd
//   watch_exit            the reply is held back until the container exits (or sent at once)
//   shutdown              deletes the runtime container; the shim exits after replying
//   exec {"exec_id", "process": <oci process>, "privileged", "stdin", "stdout", "stderr": bool,
//         "detach_keys": s} + the client's fd (none: detached)
//                        {"pid": n}; the connection then stays open and gets a second message
//                        {"ok": true, "exited": true, "exit_code": n} when the process exits
//   exec_status {"exec_id"}                      {"running": bool, "exit_code": n}
//   exec_resize {"exec_id", "rows", "cols"}
// Replies: {"ok": true, ...} or {"ok": false, "code": <int ErrorCode>, "errno": n,
// "message": "..."} (the Error, rebuilt by the client as is).
//
// Exit record (exit.json, written atomically): {"exit_code","signal","oom_killed","started_at",
// "finished_at"}.
//
// Start-up handshake: spawn() passes the write end of a pipe as fd 3 (--ready-fd 3); the shim
// writes one reply-shaped JSON message there ({"ok":true,"pid":<shim pid>} once it listens and
// the container is created, or the error) and closes it.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "shim/shim_client.h"

namespace berth::shim {

inline constexpr std::size_t kMaxMessage = 16 * 1024;
inline constexpr char kSocketName[] = "shim.sock";
inline constexpr char kExitFileName[] = "exit.json";
inline constexpr char kPidFileName[] = "shim.pid";
inline constexpr char kShimLogName[] = "shim.log";

// Sends one message, with `fd` as SCM_RIGHTS if fd >= 0.
Result<void> sendMessage(int sock, std::string_view payload, int fd = -1);
// Receives one message (blocking unless the socket is non-blocking). An fd passed with it is
// stored in *fd (close-on-exec) when fd is non-null, closed otherwise. EOF gives an empty string.
Result<std::string> recvMessage(int sock, UniqueFd* fd);

// Reply encoding shared by both sides (JSON text).
std::string errorReply(const Error& error);
// Decodes {"ok":false,...} into its Error; other texts into an internal error.
Error errorFromReply(std::string_view reply);

std::string exitRecordToJson(const ExitRecord& record);
Result<ExitRecord> exitRecordFromJson(std::string_view text);

// Connects a SOCK_SEQPACKET socket to <state_dir>/shim.sock (paths longer than sun_path are
// reached through /proc/self/fd). ECONNREFUSED/ENOENT give NotFound.
Result<UniqueFd> connectControl(const std::string& state_dir);


}  // namespace berth::shim
