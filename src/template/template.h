#pragma once
// Template: Go's text/template language, as the docker CLI uses it for `--format` / `-f`, evaluated
// over JSON data (nlohmann::json stands in for Go's map[string]interface{} / []interface{}).
//
//   BERTH_TRY(auto tmpl, Template::parse("{{.Name}}\t{{join .Args \",\"}}"));
//   BERTH_TRY(std::string out, tmpl.execute(container_json));
//
// Semantics follow Go (see docs in template.cc for the deliberate differences):
//   - `.Foo` on an object without "Foo" is a missing value, printed as "<no value>"; a missing
//     value stays missing through further fields (`.A.B`). `.Foo` on a string, number, bool or
//     array is an error ("can't evaluate field Foo in type string"); on JSON null it is an error
//     ("nil pointer evaluating interface {}.Foo").
//   - A JSON null that ends a pipeline prints "<no value>" (Go unwraps the nil interface); as a
//     function argument it is nil (`{{print .X}}` prints "<nil>").
//   - Values print like Go's fmt %v: strings raw, integers without decimals, floats shortest
//     ("1.5", "1e+06"), arrays "[a b]", objects "map[k:v]" with sorted keys.
//   - Functions: Go's builtins (and or not len index slice print printf println eq ne lt le gt ge
//     html js urlquery) and docker's (json split join title lower upper pad truncate).
// Parse errors read "template: :LINE: problem"; execution errors read
// "template: :LINE:COL: executing \"NAME\" at <NODE>: problem", as Go prints them.
//
// A Template is immutable after parse(); copies share the parsed tree; execute() is const and
// safe to call from several threads at once. Neither parse() nor execute() crashes or loops on
// any input: nesting is limited (kMaxParseDepth), as are template recursion and output size.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::tmpl {

// Deepest nesting of control structures and parentheses parse() accepts.
inline constexpr int kMaxParseDepth = 100;
// Deepest chain of {{template}} calls execute() follows.
inline constexpr int kMaxExecDepth = 200;
// Largest output execute() produces before failing.
inline constexpr size_t kMaxOutputBytes = 64u << 20;

// Methods of the data, as Go's formatter contexts have them (docker's ContainerContext.Label):
// called for `.Name arg...` (and `.Name`) when the receiver is a JSON object. Returns nullopt
// when `receiver` has no method `name` (then `.Name` is looked up as a field); otherwise the
// method's result, or an error whose message becomes the execution error as it is (Go's
// "wrong number of args for X: want 1 got 2", or "error calling X: ..." for the method's own
// failures). `args` holds every argument, the piped value last.
using MethodResolver = std::function<std::optional<Result<nlohmann::json>>(
    const nlohmann::json& receiver, std::string_view name,
    const std::vector<const nlohmann::json*>& args)>;

struct ExecuteOptions {
  // Use docker's header functions (templates.HeaderFunctions): json, split, join, title, lower,
  // upper and truncate return their first argument unchanged, so a table header keeps the column
  // names. Used to render the header row of a `table` format.
  bool header_functions = false;
  // Methods of the data (see MethodResolver); null = none.
  const MethodResolver* methods = nullptr;
  // When execution fails and this is set, the output written before the error goes here (Go's
  // Execute writes as it goes; docker prints a table header up to a failing column).
  std::string* partial_output = nullptr;
};

class Template {
 public:
  // Parses `text`. Errors (code kInvalidArgument) read like Go's, e.g.
  // "template: :1: unexpected \"}\" in operand", "template: :1: function \"foo\" not defined".
  static Result<Template> parse(std::string_view text);

  // Executes over `data` (the value of `.` and `$`). Errors have code kInvalidArgument.
  Result<std::string> execute(const nlohmann::json& data, const ExecuteOptions& options = {}) const;

  struct Tree;  // Internal: the parsed templates (main and {{define}}d ones).

 private:
  explicit Template(std::shared_ptr<const Tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const Tree> tree_;
};

}  // namespace berth::tmpl
