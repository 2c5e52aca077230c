// ContainerService's part for exec/top (execTarget) and rename.

#include "base/log.h"
#include "daemon/container_service.h"
#include "daemon/names.h"

namespace berth::daemon {

Result<ContainerService::ExecTarget> ContainerService::execTarget(const std::string& name) {
  BERTH_TRY(auto entry, find(name));
  std::lock_guard lock(entry->mu);
  const Container& c = entry->c;
  ExecTarget t;
  t.id = c.ID;
  t.name = c.Name.size() > 1 ? c.Name.substr(1) : c.Name;
  t.image = c.Config.Image;
  t.labels = c.Config.Labels;
  t.running = c.State.Running;
  t.paused = c.State.Paused;
  t.restarting = c.State.Restarting;
  t.config = c.Config;
  t.bundle = bundleDir(c.ID);
  t.runtime_root = options_.exec_root + "/runtime";
  t.shim = entry->shim;
  return t;
}

Result<void> ContainerService::renameContainer(const std::string& name,
                                               const std::string& new_name) {
  if (name.empty() || new_name.empty()) {
    return invalidArgument("Neither old nor new names may be empty");
  }
  auto normalized = normalizeContainerName(new_name[0] == '/' ? new_name : "/" + new_name);
  if (!normalized) return normalized.error().wrap("Error when allocating new name");
  std::string wanted = *normalized;
  BERTH_TRY(auto entry, find(name));
  std::unique_lock lock(entry->mu);
  Container& c = entry->c;
  if (entry->removed) return notFound("No such container: " + name);
  std::string old = c.Name;
  if (old == wanted) {
    return invalidArgument("Renaming a container with the same name as its current name");
  }
  {
    std::lock_guard map_lock(mu_);
    if (auto it = names_.find(wanted); it != names_.end()) {
      return conflict("Error when allocating new name: Conflict. The container name \"" + wanted +
                      "\" is already in use by container \"" + it->second +
                      "\". You have to remove (or rename) that container to be able to reuse "
                      "that name.");
    }
    names_.erase(old);
    names_[wanted] = c.ID;
  }
  c.Name = wanted;
  if (auto r = save(c); !r) {
    c.Name = old;
    std::lock_guard map_lock(mu_);
    names_.erase(wanted);
    names_[old] = c.ID;
    return r.error().wrap("rename container " + c.ID);
  }
  publish(c, "rename", {{"oldName", old}});
  return {};
}

}  // namespace berth::daemon
