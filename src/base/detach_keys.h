#pragma once
// Docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-@", ... as the bytes they stand for. Used by
// the CLI (which watches typed input) and by berth-shim (which watches attached clients' input).

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

// Comma-separated single characters or ctrl-<a-z @ [ \ ] ^ _>; "" gives the default
// ctrl-p,ctrl-q. Errors read "invalid detach keys (<key>) provided", as Docker's.
Result<std::string> parseDetachKeys(std::string_view spec);

}  // namespace berth
