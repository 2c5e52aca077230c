#include <malloc.h>

#include <string>
#include <vector>

#include "daemon/berthd.h"

int main(int argc, char** argv) {
  // One malloc arena for all threads: glibc gives each thread that allocates (HTTP io threads,
  // workers, the exit watcher) an arena of its own, each keeping freed memory resident. berthd's
  // allocations are small and brief; the lock contention is not measurable, the saving is.
  (void)mallopt(M_ARENA_MAX, 1);
  return berth::daemon::runBerthd(std::vector<std::string>(argv + 1, argv + argc));
}
