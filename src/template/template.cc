// Execution of parsed templates, following Go's text/template/exec.go.
//
// Values: a Value is a shared_ptr to a JSON value (aliasing into the caller's data or into an
// owned temporary); a null Value is Go's invalid reflect.Value ("missing", printed "<no value>").
// A JSON null is Go's nil interface.
//
// Deliberate differences from Go (JSON has no Go types):
//   - Integers and floats compare with each other numerically (Go: incompatible types).
//   - printf's %e/%f/%g accept integers, and %d accepts integral floats.
//   - join accepts any array (Go needs []string); non-string elements print as %v.
//   - No methods: `.Foo arg` is always "Foo is not a method but has arguments".
// Errors are thrown as ExecError inside this file only and returned as a Result by execute().

#include <algorithm>
#include <set>

#include "template/ast.h"
#include "template/go_fmt.h"

namespace berth::tmpl {
namespace {

using nlohmann::json;
using Value = std::shared_ptr<const json>;

// Upper bound on nodes walked and loop iterations per execute(): keeps `{{range 1000000000}}`
// and nested ranges from running for hours.
constexpr uint64_t kMaxExecSteps = 10'000'000;

struct ExecError {
  std::string message;
};

Value borrowed(const json& j) {
  return Value(Value(), &j);
}
Value owned(json j) {
  return std::make_shared<const json>(std::move(j));
}
Value child(const Value& parent, const json& c) {
  return Value(parent, &c);
}

const json& nullJson() {
  static const json kNull;
  return kNull;
}

// Go's isTrue over JSON; missing is false.
bool truth(const Value& v) {
  if (!v) return false;
  switch (v->type()) {
    case json::value_t::boolean:
      return v->get<bool>();
    case json::value_t::number_integer:
      return v->get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return v->get<uint64_t>() != 0;
    case json::value_t::number_float:
      return v->get<double>() != 0;
    case json::value_t::string:
      return !v->get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !v->empty();
    default:
      return false;
  }
}

enum class Control { kNormal, kBreak, kContinue };

struct Arg {
  Value value;       // missing allowed
  const Node* node;  // for error positions; null for the piped final value
  const json& get() const { return value ? *value : nullJson(); }
};

enum class Kind { kInvalid, kBool, kInt, kFloat, kString, kOther };

Kind basicKind(const Arg& a) {
  const json& v = a.get();
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return Kind::kInvalid;
    case json::value_t::boolean:
      return Kind::kBool;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return Kind::kInt;
    case json::value_t::number_float:
      return Kind::kFloat;
    case json::value_t::string:
      return Kind::kString;
    default:
      return Kind::kOther;
  }
}

// -1, 0, 1 comparing two JSON numbers exactly where both are integers.
int compareNumbers(const json& a, const json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    double x = a.get<double>();
    double y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  bool an = a.is_number_integer() && a.get<int64_t>() < 0;
  bool bn = b.is_number_integer() && b.get<int64_t>() < 0;
  if (an != bn) return an ? -1 : 1;
  if (an) {
    int64_t x = a.get<int64_t>();
    int64_t y = b.get<int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  uint64_t x = a.get<uint64_t>();
  uint64_t y = b.get<uint64_t>();
  return x < y ? -1 : x > y ? 1 : 0;
}

struct FuncSpec {
  int min_args;
  bool variadic;
};

const std::map<std::string, FuncSpec, std::less<>>& funcSpecs() {
  static const std::map<std::string, FuncSpec, std::less<>> kSpecs = {
      {"and", {1, true}},    {"or", {1, true}},        {"not", {1, false}},
      {"len", {1, false}},   {"index", {1, true}},     {"slice", {1, true}},
      {"print", {0, true}},  {"printf", {1, true}},    {"println", {0, true}},
      {"eq", {1, true}},     {"ne", {2, false}},       {"lt", {2, false}},
      {"le", {2, false}},    {"gt", {2, false}},       {"ge", {2, false}},
      {"html", {0, true}},   {"js", {0, true}},        {"urlquery", {0, true}},
      {"json", {1, false}},  {"split", {2, false}},    {"join", {2, false}},
      {"title", {1, false}}, {"lower", {1, false}},    {"upper", {1, false}},
      {"pad", {3, false}},   {"truncate", {2, false}},
  };
  return kSpecs;
}

class State {
 public:
  State(const Template::Tree& tree, const ExecuteOptions& options)
      : tree_(tree), options_(options) {}

  std::string& output() { return out_; }

  std::string run(const json& data) {
    Value dot = data.is_null() ? Value() : borrowed(data);
    vars_.push_back({"$", dot});
    walk(dot, *tree_.root);
    return std::move(out_);
  }

  [[noreturn]] void errorf(const std::string& msg) {
    if (node_ == nullptr) throw ExecError{"template: " + name_ + ": " + msg};
    size_t pos = std::min(node_->pos, tree_.text.size());
    std::string_view before(tree_.text.data(), pos);
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
    size_t line = 1 + std::count(before.begin(), before.end(), '\n');
    throw ExecError{"template: :" + std::to_string(line) + ":" + std::to_string(col) +
                    ": executing " + goQuote(name_) + " at <" + nodeString(*node_) + ">: " + msg};
  }

  void at(const Node& n) { node_ = &n; }

  // --- typed argument access for builtins ------------------------------------------------------

  // Go checks literal arguments against the parameter type before evaluating them.
  void checkLiteral(const Arg& a, const char* type, const char* found_what) {
    if (!a.node) return;
    at(*a.node);
    switch (a.node->type) {
      case NodeType::kNil:
        errorf(std::string("cannot assign nil to ") + type);
      case NodeType::kBool:
      case NodeType::kNumber:
      case NodeType::kString:
        if ((a.node->type == NodeType::kString) != (std::string_view(type) == "string") ||
            (std::string_view(type) == "int" && a.node->type == NodeType::kNumber &&
             !a.node->constant.is_number_integer() && !a.node->constant.is_number_unsigned())) {
          errorf(std::string("expected ") + found_what + "; found " + nodeString(*a.node));
        }
        break;
      default:
        break;
    }
  }

  const std::string& wantString(const Arg& a) {
    checkLiteral(a, "string", "string");
    const json& v = a.get();
    if (v.is_null()) errorf("invalid value; expected string");
    if (!v.is_string()) errorf("wrong type for value; expected string; got " + goTypeName(v));
    return v.get_ref<const std::string&>();
  }

  int64_t wantInt(const Arg& a) {
    checkLiteral(a, "int", "integer");
    const json& v = a.get();
    if (v.is_null()) errorf("invalid value; expected int");
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) errorf("integer overflow");
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    errorf("wrong type for value; expected int; got " + goTypeName(v));
  }

  [[noreturn]] void callError(const Node& call, const std::string& fn, const std::string& msg) {
    at(call);
    errorf("error calling " + fn + ": " + msg);
  }

 private:
  void step() {
    if (++steps_ > kMaxExecSteps) errorf("template execution exceeded the step limit");
  }

  void emit(std::string_view s) {
    if (out_.size() + s.size() > kMaxOutputBytes) {
      errorf("template output exceeds " + std::to_string(kMaxOutputBytes) + " bytes");
    }
    out_ += s;
  }

  void push(const std::string& name, Value v) { vars_.push_back({name, std::move(v)}); }
  void setVar(const std::string& name, Value v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = std::move(v);
        return;
      }
    }
    errorf("undefined variable: " + name);
  }
  Value varValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) return vars_[i].second;
    }
    errorf("undefined variable: " + name);
  }

  Control walk(const Value& dot, const Node& node) {
    step();
    switch (node.type) {
      case NodeType::kText:
        emit(node.text);
        return Control::kNormal;
      case NodeType::kAction: {
        Value v = evalPipeline(dot, *node.pipe);
        if (node.pipe->decls.empty()) printValue(node, v);
        return Control::kNormal;
      }
      case NodeType::kBreak:
        return Control::kBreak;
      case NodeType::kContinue:
        return Control::kContinue;
      case NodeType::kList:
        for (const auto& c : node.children) {
          Control ctl = walk(dot, *c);
          if (ctl != Control::kNormal) return ctl;
        }
        return Control::kNormal;
      case NodeType::kIf:
      case NodeType::kWith:
        return walkIfOrWith(dot, node);
      case NodeType::kRange:
        return walkRange(dot, node);
      case NodeType::kTemplate:
        walkTemplate(dot, node);
        return Control::kNormal;
      default:
        at(node);
        errorf("unknown node: " + nodeString(node));
    }
  }

  void printValue(const Node& node, const Value& v) {
    at(node);
    if (!v) {
      emit("<no value>");
    } else {
      emit(formatV(*v));
    }
  }

  Control walkIfOrWith(const Value& dot, const Node& node) {
    size_t mark = vars_.size();
    Value v = evalPipeline(dot, *node.pipe);
    Control ctl = Control::kNormal;
    if (truth(v)) {
      ctl = walk(node.type == NodeType::kWith ? v : dot, *node.list);
    } else if (node.else_list) {
      ctl = walk(dot, *node.else_list);
    }
    vars_.resize(mark);
    return ctl;
  }

  Control walkRange(const Value& dot, const Node& node) {
    at(node);
    size_t outer = vars_.size();
    Value v = evalPipeline(dot, *node.pipe);
    const auto& decls = node.pipe->decls;
    size_t mark = vars_.size();
    // Returns false to stop the loop ({{break}}).
    auto iteration = [&](const Value& index, const Value& elem) {
      step();
      if (!decls.empty()) {
        if (node.pipe->is_assign) {
          setVar(decls[0], decls.size() > 1 ? index : elem);
        } else {
          vars_[vars_.size() - 1].second = elem;
        }
      }
      if (decls.size() > 1) {
        if (node.pipe->is_assign) {
          setVar(decls[1], elem);
        } else {
          vars_[vars_.size() - 2].second = index;
        }
      }
      Control ctl = walk(elem, *node.list);
      vars_.resize(mark);
      return ctl != Control::kBreak;
    };
    bool ran = false;
    if (v) {
      switch (v->type()) {
        case json::value_t::array: {
          int64_t i = 0;
          for (const auto& e : *v) {
            ran = true;
            if (!iteration(owned(i++), child(v, e))) break;
          }
          break;
        }
        case json::value_t::object:
          for (auto it = v->begin(); it != v->end(); ++it) {
            ran = true;
            if (!iteration(owned(it.key()), child(v, it.value()))) break;
          }
          break;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: {
          if (decls.size() > 1) {
            errorf("can't use " + formatV(*v) + " to iterate over more than one variable");
          }
          int64_t n = v->is_number_integer()
                          ? v->get<int64_t>()
                          : static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX));
          for (int64_t i = 0; i < n; ++i) {
            ran = true;
            Value iv = owned(i);
            if (!iteration(iv, iv)) break;
          }
          break;
        }
        case json::value_t::null:
          break;
        default:
          errorf("range can't iterate over " + formatV(*v));
      }
    }
    Control ctl = Control::kNormal;
    if (!ran && node.else_list) ctl = walk(dot, *node.else_list);
    vars_.resize(outer);
    // break/continue inside the else branch belong to an enclosing range.
    return ctl;
  }

  void walkTemplate(const Value& dot, const Node& node) {
    at(node);
    auto it = tree_.defines.find(node.text);
    if (it == tree_.defines.end()) errorf("template " + goQuote(node.text) + " not defined");
    if (depth_ >= kMaxExecDepth) {
      errorf("exceeded maximum template depth (" + std::to_string(kMaxExecDepth) + ")");
    }
    Value new_dot = node.pipe ? evalPipeline(dot, *node.pipe) : Value();
    auto saved_vars = std::move(vars_);
    std::string saved_name = std::move(name_);
    vars_ = {{"$", new_dot}};
    name_ = node.text;
    ++depth_;
    walk(new_dot, *it->second);
    --depth_;
    vars_ = std::move(saved_vars);
    name_ = std::move(saved_name);
  }

  Value evalPipeline(const Value& dot, const Node& pipe) {
    at(pipe);
    Value value;
    bool has_final = false;
    for (const auto& cmd : pipe.children) {
      value = evalCommand(dot, *cmd, has_final ? &value : nullptr);
      has_final = true;
      // Go unwraps interface{} values: a nil interface becomes the invalid (missing) value.
      if (value && value->is_null()) value.reset();
    }
    for (const auto& name : pipe.decls) {
      if (pipe.is_assign) {
        setVar(name, value);
      } else {
        push(name, value);
      }
    }
    return value;
  }

  void notAFunction(const Node& cmd, const Value* final) {
    if (cmd.children.size() > 1 || final != nullptr) {
      errorf("can't give argument to non-function " + nodeString(*cmd.children[0]));
    }
  }

  Value evalCommand(const Value& dot, const Node& cmd, const Value* final) {
    const Node& first = *cmd.children[0];
    switch (first.type) {
      case NodeType::kField:
        at(first);
        return evalFieldChain(dot, first.fields, &cmd, final);
      case NodeType::kChain:
        return evalChain(dot, first, &cmd, final);
      case NodeType::kIdentifier:
        return evalFunction(dot, first, cmd, &cmd, final);
      case NodeType::kPipe:
        notAFunction(cmd, final);
        return evalPipeline(dot, first);
      case NodeType::kVariable:
        return evalVariable(dot, first, &cmd, final);
      default:
        break;
    }
    at(first);
    notAFunction(cmd, final);
    switch (first.type) {
      case NodeType::kBool:
      case NodeType::kNumber:
        return owned(first.constant);
      case NodeType::kString:
        return owned(first.text);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        errorf("nil is not a command");
      default:
        errorf("can't evaluate command " + goQuote(nodeString(first)));
    }
  }

  Value evalVariable(const Value& dot, const Node& var, const Node* cmd, const Value* final) {
    at(var);
    Value v = varValue(var.text);
    if (var.fields.empty()) {
      if (cmd) notAFunction(*cmd, final);
      return v;
    }
    return evalFieldChainFrom(dot, v, var.fields, cmd, final);
  }

  Value evalChain(const Value& dot, const Node& chain, const Node* cmd, const Value* final) {
    at(chain);
    if (chain.pipe->type == NodeType::kNil) {
      errorf("indirection through explicit nil in " + nodeString(chain));
    }
    Value v = evalArg(dot, *chain.pipe);
    at(chain);
    return evalFieldChainFrom(dot, v, chain.fields, cmd, final);
  }

  Value evalFieldChain(const Value& dot, const std::vector<std::string>& fields, const Node* cmd,
                       const Value* final) {
    return evalFieldChainFrom(dot, dot, fields, cmd, final);
  }

  Value evalFieldChainFrom(const Value& dot, Value receiver, const std::vector<std::string>& fields,
                           const Node* cmd, const Value* final) {
    for (size_t i = 0; i < fields.size(); ++i) {
      bool last = i + 1 == fields.size();
      bool has_args = last && ((cmd && cmd->children.size() > 1) || final != nullptr);
      if (options_.methods && receiver && receiver->is_object()) {
        if (auto result = callMethod(dot, fields[i], *receiver, last ? cmd : nullptr,
                                     last ? final : nullptr)) {
          receiver = *result;
          continue;
        }
      }
      receiver = evalField(fields[i], has_args, receiver);
    }
    return receiver;
  }

  // A method of the data (ExecuteOptions::methods); nullopt when the receiver has none by that
  // name. Arguments: the command's operands after the field, then the piped value.
  std::optional<Value> callMethod(const Value& dot, const std::string& name, const json& receiver,
                                  const Node* cmd, const Value* final) {
    std::vector<Value> values;
    if (cmd) {
      for (size_t i = 1; i < cmd->children.size(); ++i) {
        values.push_back(evalArg(dot, *cmd->children[i]));
      }
    }
    if (final) values.push_back(*final);
    static const json kNoValue = "<no value>";
    std::vector<const json*> args;
    for (const auto& v : values) args.push_back(v ? v.get() : &kNoValue);
    auto result = (*options_.methods)(receiver, name, args);
    if (!result) return std::nullopt;
    if (!*result) errorf(result->error().message());
    return owned(std::move(**result));
  }

  Value evalField(const std::string& name, bool has_args, const Value& receiver) {
    if (!receiver) return Value();  // a missing value stays missing (Go's default missingkey)
    if (receiver->is_null()) errorf("nil pointer evaluating interface {}." + name);
    if (receiver->is_object()) {
      if (has_args) errorf(name + " is not a method but has arguments");
      auto it = receiver->find(name);
      if (it == receiver->end()) return Value();
      return child(receiver, *it);
    }
    errorf("can't evaluate field " + name + " in type " + goTypeName(*receiver));
  }

 public:
  // Evaluates one argument node as Go's evalArg does for an interface{} parameter.
  Value evalArg(const Value& dot, const Node& n) {
    at(n);
    switch (n.type) {
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        return owned(json());
      case NodeType::kField:
        return evalFieldChain(dot, n.fields, nullptr, nullptr);
      case NodeType::kVariable:
        return evalVariable(dot, n, nullptr, nullptr);
      case NodeType::kPipe:
        return evalPipeline(dot, n);
      case NodeType::kIdentifier:
        return evalFunction(dot, n, n, nullptr, nullptr);
      case NodeType::kChain:
        return evalChain(dot, n, nullptr, nullptr);
      case NodeType::kBool:
      case NodeType::kNumber:
        return owned(n.constant);
      case NodeType::kString:
        return owned(n.text);
      default:
        errorf("can't handle " + nodeString(n) + " for arg");
    }
  }

 private:
  // `ident` names the function; `call` is the node errors point at (the command, or the
  // identifier itself when used as an argument); `cmd` holds the arguments (null: none).
  Value evalFunction(const Value& dot, const Node& ident, const Node& call, const Node* cmd,
                     const Value* final) {
    at(ident);
    const std::string& name = ident.text;
    auto spec_it = funcSpecs().find(name);
    if (spec_it == funcSpecs().end()) errorf(goQuote(name) + " is not a defined function");
    const FuncSpec& spec = spec_it->second;
    size_t nargs = cmd ? cmd->children.size() - 1 : 0;
    size_t num_in = nargs + (final ? 1 : 0);
    if (spec.variadic && static_cast<int>(num_in) < spec.min_args) {
      errorf("wrong number of args for " + name + ": want at least " +
             std::to_string(spec.min_args) + " got " + std::to_string(num_in));
    }
    if (!spec.variadic && static_cast<int>(num_in) != spec.min_args) {
      errorf("wrong number of args for " + name + ": want " + std::to_string(spec.min_args) +
             " got " + std::to_string(num_in));
    }
    if (name == "and" || name == "or") {
      Value v;
      for (size_t i = 1; cmd && i < cmd->children.size(); ++i) {
        v = evalArg(dot, *cmd->children[i]);
        if (truth(v) == (name == "or")) return v;
      }
      if (final) v = *final;
      return v;
    }
    std::vector<Arg> args;
    for (size_t i = 1; cmd && i < cmd->children.size(); ++i) {
      const Node& a = *cmd->children[i];
      args.push_back({evalArg(dot, a), &a});
    }
    if (final) args.push_back({*final, nullptr});
    at(call);
    return callBuiltin(name, call, args);
  }

  Value callBuiltin(const std::string& name, const Node& call, std::vector<Arg>& args);

  const Template::Tree& tree_;
  const ExecuteOptions& options_;
  std::string out_;
  std::string name_;
  const Node* node_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  int depth_ = 0;
  uint64_t steps_ = 0;
};

// --- builtins --------------------------------------------------------------------------------

bool eqValues(State& s, const Node& call, const std::vector<Arg>& args) {
  if (args.size() < 2) s.callError(call, "eq", "missing argument for comparison");
  const Arg& a1 = args[0];
  Kind k1 = basicKind(a1);
  for (size_t i = 1; i < args.size(); ++i) {
    const Arg& a = args[i];
    Kind k2 = basicKind(a);
    bool t = false;
    if (k1 != k2) {
      if ((k1 == Kind::kInt || k1 == Kind::kFloat) && (k2 == Kind::kInt || k2 == Kind::kFloat)) {
        t = compareNumbers(a1.get(), a.get()) == 0;
      } else if (k1 != Kind::kInvalid && k2 != Kind::kInvalid) {
        s.callError(call, "eq", "incompatible types for comparison");
      }
    } else {
      switch (k1) {
        case Kind::kBool:
          t = a1.get() == a.get();
          break;
        case Kind::kInt:
        case Kind::kFloat:
          t = compareNumbers(a1.get(), a.get()) == 0;
          break;
        case Kind::kString:
          t = a1.get() == a.get();
          break;
        case Kind::kInvalid:
          t = true;
          break;
        case Kind::kOther:
          s.callError(call, "eq",
                      "non-comparable type " + formatV(a.get()) + ": " + goTypeName(a.get()));
      }
    }
    if (t) return true;
  }
  return false;
}

bool ltValues(State& s, const Node& call, const char* fn, const Arg& a, const Arg& b) {
  Kind k1 = basicKind(a);
  Kind k2 = basicKind(b);
  auto bad = [&](Kind k) { return k == Kind::kInvalid || k == Kind::kOther || k == Kind::kBool; };
  if (bad(k1) || bad(k2)) s.callError(call, fn, "invalid type for comparison");
  bool num1 = k1 == Kind::kInt || k1 == Kind::kFloat;
  bool num2 = k2 == Kind::kInt || k2 == Kind::kFloat;
  if (num1 && num2) return compareNumbers(a.get(), b.get()) < 0;
  if (k1 != k2) s.callError(call, fn, "incompatible types for comparison");
  return a.get().get_ref<const std::string&>() < b.get().get_ref<const std::string&>();
}

// html/js/urlquery: one string argument as is, otherwise fmt.Sprint of the printable values.
std::string evalArgsString(const std::vector<Arg>& args) {
  if (args.size() == 1 && args[0].value && args[0].value->is_string()) {
    return args[0].value->get<std::string>();
  }
  std::vector<json> printable;
  printable.reserve(args.size());
  for (const auto& a : args) printable.push_back(a.value ? *a.value : json("<no value>"));
  std::vector<const json*> ptrs;
  for (const auto& p : printable) ptrs.push_back(&p);
  return goSprint(ptrs);
}

std::vector<const json*> argPointers(const std::vector<Arg>& args, size_t from) {
  std::vector<const json*> out;
  for (size_t i = from; i < args.size(); ++i) out.push_back(&args[i].get());
  return out;
}

int64_t indexArg(State& s, const Node& call, const char* fn, const json& index, size_t len) {
  int64_t x = 0;
  if (index.is_number_integer()) {
    x = index.get<int64_t>();
  } else if (index.is_number_unsigned()) {
    x = index.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? -1 : index.get<int64_t>();
  } else if (index.is_null()) {
    s.callError(call, fn, "cannot index slice/array with nil");
  } else {
    s.callError(call, fn, "cannot index slice/array with type " + goTypeName(index));
  }
  if (x < 0 || static_cast<uint64_t>(x) > len) {
    s.callError(call, fn, "index out of range: " + std::to_string(x));
  }
  return x;
}

Value State::callBuiltin(const std::string& name, const Node& call, std::vector<Arg>& args) {
  static const std::set<std::string_view> kHeaderIdentity = {"json",  "split", "join",    "title",
                                                             "lower", "upper", "truncate"};
  if (options_.header_functions && kHeaderIdentity.count(name) != 0) {
    return args[0].value ? args[0].value : owned(json());
  }
  if (name == "not") return owned(!truth(args[0].value));
  if (name == "len") {
    const json& v = args[0].get();
    if (v.is_null()) {
      callError(call, name, "reflect: call of reflect.Value.Type on zero Value");  // as Go says
    }
    if (v.is_string()) return owned(static_cast<int64_t>(v.get_ref<const std::string&>().size()));
    if (v.is_array() || v.is_object()) return owned(static_cast<int64_t>(v.size()));
    callError(call, name, "len of type " + goTypeName(v));
  }
  if (name == "index") {
    Value item = args[0].value;
    if (!item || item->is_null()) callError(call, name, "index of untyped nil");
    for (size_t i = 1; i < args.size(); ++i) {
      const json& index = args[i].get();
      if (!item || item->is_null()) callError(call, name, "index of nil pointer");
      if (item->is_array()) {
        int64_t x = indexArg(*this, call, "index", index, item->size());
        if (static_cast<size_t>(x) == item->size()) {
          callError(call, name, "reflect: slice index out of range");
        }
        item = child(item, (*item)[x]);
      } else if (item->is_string()) {
        const auto& str = item->get_ref<const std::string&>();
        int64_t x = indexArg(*this, call, "index", index, str.size());
        if (static_cast<size_t>(x) == str.size()) {
          callError(call, name, "reflect: string index out of range");
        }
        item = owned(static_cast<int64_t>(static_cast<unsigned char>(str[x])));
      } else if (item->is_object()) {
        if (index.is_null()) {
          callError(call, name, "value is nil; should be of type string");
        }
        if (!index.is_string()) {
          callError(call, name, "value has type " + goTypeName(index) + "; should be string");
        }
        auto it = item->find(index.get_ref<const std::string&>());
        item = it == item->end() ? owned(json()) : child(item, *it);
      } else {
        callError(call, name, "can't index item of type " + goTypeName(*item));
      }
    }
    return item;
  }
  if (name == "slice") {
    Value item = args[0].value;
    if (!item || item->is_null()) callError(call, name, "slice of untyped nil");
    if (args.size() > 4)
      callError(call, name, "too many slice indexes: " + std::to_string(args.size() - 1));
    size_t len = 0;
    if (item->is_string()) {
      if (args.size() == 4) callError(call, name, "cannot 3-index slice a string");
      len = item->get_ref<const std::string&>().size();
    } else if (item->is_array()) {
      len = item->size();
    } else {
      callError(call, name, "can't slice item of type " + goTypeName(*item));
    }
    int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
    for (size_t i = 1; i < args.size(); ++i) {
      idx[i - 1] = indexArg(*this, call, "slice", args[i].get(), len);
    }
    if (idx[0] > idx[1]) {
      callError(call, name,
                "invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
    }
    if (args.size() == 4 && idx[1] > idx[2]) {
      callError(call, name,
                "invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
    }
    if (item->is_string()) {
      return owned(item->get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]));
    }
    json out = json::array();
    for (int64_t i = idx[0]; i < idx[1]; ++i) out.push_back((*item)[i]);
    return owned(std::move(out));
  }
  if (name == "print") return owned(goSprint(argPointers(args, 0)));
  if (name == "println") return owned(goSprintln(argPointers(args, 0)));
  if (name == "printf") {
    const std::string& format = wantString(args[0]);
    at(call);
    return owned(goSprintf(format, argPointers(args, 1)));
  }
  if (name == "eq") return owned(eqValues(*this, call, args));
  if (name == "ne") return owned(!eqValues(*this, call, args));
  if (name == "lt") return owned(ltValues(*this, call, "lt", args[0], args[1]));
  if (name == "le") {
    return owned(ltValues(*this, call, "le", args[0], args[1]) || eqValues(*this, call, args));
  }
  if (name == "gt") {
    bool le = ltValues(*this, call, "gt", args[0], args[1]) || eqValues(*this, call, args);
    return owned(!le);
  }
  if (name == "ge") return owned(!ltValues(*this, call, "ge", args[0], args[1]));
  if (name == "html") return owned(htmlEscape(evalArgsString(args)));
  if (name == "js") return owned(jsEscape(evalArgsString(args)));
  if (name == "urlquery") return owned(urlQueryEscape(evalArgsString(args)));
  if (name == "json") return owned(goJson(args[0].get()));
  if (name == "split") {
    const std::string& s = wantString(args[0]);
    const std::string& sep = wantString(args[1]);
    json out = json::array();
    if (sep.empty()) {
      for (size_t i = 0; i < s.size();) {
        size_t w = decodeUtf8(s, i).second;
        out.push_back(s.substr(i, w));
        i += w;
      }
      return owned(std::move(out));
    }
    size_t start = 0;
    while (true) {
      size_t p = s.find(sep, start);
      if (p == std::string::npos) break;
      out.push_back(s.substr(start, p - start));
      start = p + sep.size();
    }
    out.push_back(s.substr(start));
    return owned(std::move(out));
  }
  if (name == "join") {
    const std::string& sep = wantString(args[1]);
    const json& list = args[0].get();
    if (list.is_null()) return owned(std::string());
    if (!list.is_array()) {
      if (args[0].node) at(*args[0].node);
      if (args[0].node &&
          (args[0].node->type == NodeType::kString || args[0].node->type == NodeType::kNumber ||
           args[0].node->type == NodeType::kBool)) {
        errorf("can't handle " + nodeString(*args[0].node) + " for arg of type []string");
      }
      errorf("wrong type for value; expected []string; got " + goTypeName(list));
    }
    std::string out;
    bool first = true;
    for (const auto& e : list) {
      if (!first) out += sep;
      first = false;
      out += formatV(e);
    }
    return owned(std::move(out));
  }
  if (name == "title") return owned(mapCase(wantString(args[0]), CaseMap::kTitle));
  if (name == "lower") return owned(mapCase(wantString(args[0]), CaseMap::kLower));
  if (name == "upper") return owned(mapCase(wantString(args[0]), CaseMap::kUpper));
  if (name == "pad") {
    const std::string& s = wantString(args[0]);
    int64_t left = wantInt(args[1]);
    int64_t right = wantInt(args[2]);
    if (s.empty()) return owned(s);
    if (left < 0 || right < 0) callError(call, name, "strings: negative Repeat count");
    if (left > 1'000'000 || right > 1'000'000) callError(call, name, "pad width out of range");
    return owned(std::string(left, ' ') + s + std::string(right, ' '));
  }
  if (name == "truncate") {
    const std::string& s = wantString(args[0]);
    int64_t n = wantInt(args[1]);
    if (n < 0) callError(call, name, "slice bounds out of range [:" + std::to_string(n) + "]");
    if (static_cast<int64_t>(s.size()) < n) return owned(s);
    return owned(s.substr(0, n));
  }
  callError(call, name, "not implemented");
}

}  // namespace

bool isFunctionName(std::string_view name) {
  return funcSpecs().count(name) != 0;
}

Result<Template> Template::parse(std::string_view text) {
  BERTH_TRY(auto tree, parseTree(text));
  return Template(std::move(tree));
}

Result<std::string> Template::execute(const nlohmann::json& data,
                                      const ExecuteOptions& options) const {
  State state(*tree_, options);
  auto keepPartial = [&] {
    if (options.partial_output) *options.partial_output = std::move(state.output());
  };
  try {
    return state.run(data);
  } catch (const ExecError& e) {
    keepPartial();
    return invalidArgument(e.message);
  } catch (const nlohmann::json::exception& e) {
    keepPartial();
    return invalidArgument(std::string("template: ") + e.what());
  }
}

}  // namespace berth::tmpl
