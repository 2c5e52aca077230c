#pragma once
// EventsService: the daemon's event log. publish() records an event in a bounded history and
// wakes subscribers; stream() replays history since a time and follows live events with
// filters, as GET /events. Thread-safe; publish never blocks on subscribers (they poll a
// sequence number under one mutex/condition variable).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "base/result.h"
#include "daemon/events.h"

namespace berth::daemon {

class EventsService {
 public:
  static constexpr size_t kHistory = 1024;  // as moby's events buffer

  void publish(Event event);
  EventSink sink() {
    return [this](Event e) { publish(std::move(e)); };
  }

  // Events in Docker's JSON, filtered (type, event/action, container, image, label), from
  // `since_nanos` (nullopt: only new ones) until `until_nanos` (nullopt: forever) or until
  // write() returns false / cancelled() turns true (polled about once a second).
  Result<void> stream(std::optional<int64_t> since_nanos, std::optional<int64_t> until_nanos,
                      const std::string& filters,
                      const std::function<bool(std::string_view json)>& write,
                      const std::function<bool()>& cancelled);

  static std::string toJson(const Event& event);

  // Streams running now (/info NEventsListener).
  int listeners() const { return listeners_.load(); }

 private:
  std::atomic<int> listeners_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, Event>> history_;  // (sequence, event)
  uint64_t next_seq_ = 1;
};

}  // namespace berth::daemon
