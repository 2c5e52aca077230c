#include "runtime/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "base/file_util.h"

namespace berth::runtime {

Result<void> validateId(std::string_view id) {
  bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
          c == '.')) {
      ok = false;
    }
  }
  if (!ok) return invalidArgument("invalid container id format: " + std::string(id));
  return {};
}

std::string recordToJson(const ContainerRecord& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["ociVersion"] = r.oci_version;
  j["pid"] = r.pid;
  j["startTime"] = r.start_time;
  j["bundle"] = r.bundle;
  j["rootfs"] = r.rootfs;
  j["created"] = r.created;
  j["owner"] = r.owner;
  j["cgroupsPath"] = r.cgroups_path;
  j["paused"] = r.paused;
  j["noNewKeyring"] = r.no_new_keyring;
  j["annotations"] = r.annotations;
  return j.dump();
}

Result<ContainerRecord> recordFromJson(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.oci_version = j.value("ociVersion", "");
    r.pid = j.value("pid", 0);
    r.start_time = j.value("startTime", uint64_t{0});
    r.bundle = j.value("bundle", "");
    r.rootfs = j.value("rootfs", "");
    r.created = j.value("created", "");
    r.owner = j.value("owner", "");
    r.cgroups_path = j.value("cgroupsPath", "");
    r.paused = j.value("paused", false);
    r.no_new_keyring = j.value("noNewKeyring", false);
    if (j.contains("annotations")) {
      r.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    }
    return r;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kDataLoss, std::string("corrupt state.json: ") + e.what());
  }
}

Result<void> StateStore::createDir(const std::string& id) {
  BERTH_TRY_VOID(makeDirs(root_, 0711));
  if (::mkdir(dir(id).c_str(), 0711) != 0) {
    if (errno == EEXIST) return conflict("container with given ID already exists");
    return errnoError("create state directory " + dir(id));
  }
  return {};
}

Result<UniqueFd> StateStore::lock(const std::string& id) {
  UniqueFd fd(::open((dir(id) + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == ENOENT) return notFound("container does not exist");
    return errnoError("open lock of container " + id);
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return errnoError("lock container " + id);
  }
  return fd;
}

Result<ContainerRecord> StateStore::load(const std::string& id) const {
  auto text = readFile(dir(id) + "/state.json");
  if (!text) {
    if (text.error().sysErrno() == ENOENT || text.error().code() == ErrorCode::kNotFound) {
      return notFound("container does not exist");
    }
    return text.error();
  }
  return recordFromJson(*text);
}

Result<void> StateStore::save(const ContainerRecord& record) {
  // Runtime state (/run): replaced atomically, not fsynced (a crash loses /run anyway; as runc).
  return writeFileReplace(dir(record.id) + "/state.json", recordToJson(record), 0600);
}

Result<void> StateStore::removeDir(const std::string& id) { return removeAll(dir(id)); }

std::vector<std::string> StateStore::ids() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (pathExists(root_ + "/" + name + "/state.json")) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::runtime
