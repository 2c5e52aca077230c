#include "run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "text_util.h"

namespace berth::e2e {
namespace {

off_t sizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

}  // namespace

std::string findInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ProcResult::describe() const {
  std::ostringstream s;
  s << "exit=" << exit_code;
  if (term_signal != 0) s << " signal=" << term_signal;
  if (timed_out) s << " TIMED OUT";
  s << "\n--- stdout ---\n" << out << "\n--- stderr ---\n" << err;
  return s.str();
}

std::string makeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  chmod(tmpl.c_str(), 0755);
  return tmpl;
}

ProcResult runCommand(const std::vector<std::string>& argv, const RunOptions& opts) {
  ProcResult result;
  if (argv.empty()) {
    result.err = "runCommand: empty argv";
    return result;
  }
  std::string exe = findInPath(argv[0]);
  if (exe.empty()) {
    result.err = "runCommand: " + argv[0] + ": not found";
    return result;
  }
  // Private capture files unless the caller named them.
  std::string scratch;
  auto tempFile = [&](const std::string& given, const char* tag) -> std::string {
    if (!given.empty()) return given;
    if (scratch.empty()) scratch = makeTempDir("berth-e2e-cmd-");
    return scratch + "/" + tag;
  };
  std::string out_path = tempFile(opts.stdout_path, "out");
  std::string err_path = tempFile(opts.stderr_path, "err");
  std::string in_path = "/dev/null";
  if (!opts.stdin_data.empty()) {
    in_path = tempFile("", "in");
    std::ofstream(in_path, std::ios::binary) << opts.stdin_data;
  }
  // Offsets, so that appended files yield only this command's output.
  off_t out_start = sizeOf(out_path);
  off_t err_start = sizeOf(err_path);

  // Environment: ours, minus unset_env and the keys of env, plus env.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (opts.env.count(key) != 0) continue;
    if (std::find(opts.unset_env.begin(), opts.unset_env.end(), key) != opts.unset_env.end()) {
      continue;
    }
    env_strings.push_back(kv);
  }
  for (const auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> cenv;
  for (auto& s : env_strings) cenv.push_back(s.data());
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, opts.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  std::error_code ec;
  if (rc != 0) {
    result.err = "posix_spawn " + exe + ": " + std::strerror(rc);
    if (!scratch.empty()) std::filesystem::remove_all(scratch, ec);
    return result;
  }

  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  int wstatus = 0;
  for (;;) {
    pid_t w = waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.term_signal = WTERMSIG(wstatus);
    result.exit_code = 128 + result.term_signal;
  }
  auto readFrom = [](const std::string& p, off_t start) {
    std::string all = readFileOrEmpty(p);
    return static_cast<size_t>(start) <= all.size() ? all.substr(start) : all;
  };
  result.out = readFrom(out_path, out_start);
  result.err = readFrom(err_path, err_start);
  if (!scratch.empty()) std::filesystem::remove_all(scratch, ec);
  return result;
}

}  // namespace berth::e2e
