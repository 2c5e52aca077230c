#include "base/detach_keys.h"

#include "base/strings.h"

namespace berth {

Result<std::string> parseDetachKeys(std::string_view spec) {
  if (spec.empty()) spec = "ctrl-p,ctrl-q";
  std::string out;
  for (const std::string& key : split(spec, ',')) {
    if (key.size() == 1) {
      out += key[0];
      continue;
    }
    if (key.size() == 6 && key.starts_with("ctrl-")) {
      char c = key[5];
      if (c >= 'a' && c <= 'z') {
        out += static_cast<char>(c - 'a' + 1);
        continue;
      }
      if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
        out += static_cast<char>(c - '@');
        continue;
      }
    }
    return invalidArgument("invalid detach keys (" + key + ") provided");
  }
  return out;
}

}  // namespace berth
