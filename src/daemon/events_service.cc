#include "daemon/events_service.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/scope_guard.h"
#include "daemon/filters.h"

namespace berth::daemon {
namespace {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool matches(const Event& e, const Filters& f) {
  auto get = [&](const char* k) -> const std::vector<std::string>& {
    static const std::vector<std::string> empty;
    auto it = f.find(k);
    return it == f.end() ? empty : it->second;
  };
  if (!filterMatchesAny(get("type"), e.type)) return false;
  if (!filterMatchesAny(get("event"), e.action)) return false;
  auto attr = [&](const char* k) {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  const auto& containers = get("container");
  if (!containers.empty()) {
    if (e.type != "container") return false;
    bool any = false;
    for (const auto& c : containers) {
      any = any || e.actor_id.starts_with(c) || attr("name") == c;
    }
    if (!any) return false;
  }
  const auto& images = get("image");
  if (!images.empty()) {
    bool any = false;
    for (const auto& i : images) {
      any =
          any || attr("image") == i || e.actor_id == i || (e.type == "image" && attr("name") == i);
    }
    if (!any) return false;
  }
  std::map<std::string, std::string> labels(e.attributes.begin(), e.attributes.end());
  return labelsMatch(get("label"), labels);
}

}  // namespace

void EventsService::publish(Event event) {
  if (event.time_nano == 0) event.time_nano = nowNanos();
  {
    std::lock_guard lock(mu_);
    history_.emplace_back(next_seq_++, std::move(event));
    while (history_.size() > kHistory) history_.pop_front();
  }
  cv_.notify_all();
}

std::string EventsService::toJson(const Event& e) {
  nlohmann::json j;
  if (e.type == "container" || e.type == "image") {
    j["status"] = e.action;
    j["id"] = e.actor_id;
    auto it = e.attributes.find("image");
    if (e.type == "container" && it != e.attributes.end()) j["from"] = it->second;
  }
  j["Type"] = e.type;
  j["Action"] = e.action;
  j["Actor"] = {{"ID", e.actor_id}, {"Attributes", e.attributes}};
  j["scope"] = "local";
  j["time"] = e.time_nano / 1000000000;
  j["timeNano"] = e.time_nano;
  return j.dump();
}

Result<void> EventsService::stream(std::optional<int64_t> since, std::optional<int64_t> until,
                                   const std::string& filters_json,
                                   const std::function<bool(std::string_view)>& write,
                                   const std::function<bool()>& cancelled) {
  BERTH_TRY(Filters filters,
            parseFilters(filters_json,
                         {"container", "event", "image", "label", "type", "volume", "network",
                          "daemon", "plugin", "node", "service", "scope", "config", "secret"}));
  ++listeners_;
  ScopeGuard count([this] { --listeners_; });
  uint64_t seq = 0;
  std::vector<Event> batch;
  {
    std::lock_guard lock(mu_);
    seq = next_seq_;
    if (since) {
      for (const auto& [s, e] : history_) {
        if (e.time_nano >= *since && (!until || e.time_nano <= *until)) batch.push_back(e);
      }
    }
  }
  for (const auto& e : batch) {
    if (matches(e, filters) && !write(toJson(e))) return {};
  }
  for (;;) {
    if (until && nowNanos() > *until) return {};
    if (cancelled()) return {};
    batch.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return next_seq_ > seq; });
      for (const auto& [s, e] : history_) {
        if (s >= seq) batch.push_back(e);
      }
      seq = next_seq_;
    }
    for (const auto& e : batch) {
      if (until && e.time_nano > *until) return {};
      if (matches(e, filters) && !write(toJson(e))) return {};
    }
  }
}

}  // namespace berth::daemon
