#include "network/sysctl.h"

#include "base/file_util.h"
#include "base/strings.h"

namespace berth::network {
namespace {

std::string sysctlPath(const std::string& key) {
  std::string path = "/proc/sys/";
  for (char c : key) path += c == '.' ? '/' : c;
  return path;
}

}  // namespace

Result<std::string> readSysctl(const std::string& key) {
  BERTH_TRY_CTX(std::string text, readFile(sysctlPath(key)), "read sysctl " + key);
  return std::string(trim(text));
}

Result<void> writeSysctl(const std::string& key, const std::string& value) {
  auto current = readSysctl(key);
  if (current && *current == value) return okResult();
  BERTH_TRY_VOID_CTX(writeFile(sysctlPath(key), value + "\n"), "set sysctl " + key + "=" + value);
  return okResult();
}

}  // namespace berth::network
