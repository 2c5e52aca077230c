// The nftables Firewall: every change is one nft script run through libnftables (atomic per
// call); rules are found again through `nft -j -a list table` (JSON with handles) by their
// comment tag.

#include <fcntl.h>
#include <nftables/libnftables.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/unique_fd.h"
#include "network/firewall.h"
#include "network/netns.h"
#include "network/sysctl.h"

namespace berth::network {
namespace {

using nlohmann::json;

constexpr const char* kBaseTag = "berth:base";

std::string nftQuote(const std::string& s) {
  return "\"" + s + "\"";
}

bool validIfname(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (c == '"' || c == '\\' || c == ' ' || c == '/' || c == '*' || uint8_t(c) < 0x21)
      return false;
  return true;
}

bool validTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 100) return false;
  for (char c : tag)
    if (c == '"' || c == '\\' || uint8_t(c) < 0x20) return false;
  return true;
}

std::string netTag(const std::string& id) {
  return "net:" + id;
}
std::string ownerPrefix(const std::string& owner) {
  return "ctr:" + owner + ":";
}
std::string mappingTag(const std::string& owner, const PortMapping& m) {
  std::string host = m.host_ip ? m.host_ip->toString() : "0.0.0.0";
  return ownerPrefix(owner) + protocolName(m.proto) + ":" + host + ":" +
         std::to_string(m.host_port);
}

class NftablesFirewall final : public Firewall {
 public:
  NftablesFirewall(std::string table, UniqueFd netns)
      : table_(std::move(table)), netns_(std::move(netns)) {}
  ~NftablesFirewall() override {
    if (ctx_ != nullptr) nft_ctx_free(ctx_);
  }

  Result<void> open() {
    // libnftables opens its netlink socket in the netns of the thread creating the context.
    auto make = [this]() -> Result<void> {
      ctx_ = nft_ctx_new(NFT_CTX_DEFAULT);
      if (ctx_ == nullptr) return internalError("create nftables context");
      if (nft_ctx_buffer_output(ctx_) != 0 || nft_ctx_buffer_error(ctx_) != 0)
        return internalError("create nftables context: buffer output");
      // Probe once so the socket is opened now, in this thread's netns.
      return okResult();
    };
    if (netns_) {
      BERTH_TRY_VOID(runInNetns(netns_.get(), [&]() -> Result<void> {
        BERTH_TRY_VOID(make());
        BERTH_TRY(std::string ignored, run("list tables", false));
        (void)ignored;
        return okResult();
      }));
      return okResult();
    }
    return make();
  }

  Result<void> init() override {
    std::string t = "ip " + table_;
    std::string script =
        "add table " + t +
        "\n"
        "add chain " +
        t +
        " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
        "add chain " +
        t +
        " output { type nat hook output priority -100; policy accept; }\n"
        "add chain " +
        t +
        " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
        "add chain " +
        t +
        " forward { type filter hook forward priority filter; policy accept; }\n"
        "add chain " +
        t +
        " ports\n"
        "add chain " +
        t +
        " berth-user\n"
        "add chain " +
        t +
        " isolation\n"
        "add set " +
        t + " bridges { type ifname; }\n";
    BERTH_TRY_CTX(std::string ignored, run(script), "create firewall table " + t);
    (void)ignored;
    BERTH_TRY(json rules, listJson());
    bool have_base = false;
    for (const auto& rule : rules)
      if (rule.value("comment", "") == kBaseTag) have_base = true;
    if (!have_base) {
      std::string c = " comment " + nftQuote(kBaseTag) + "\n";
      std::string base = "add rule " + t + " prerouting fib daddr type local jump ports" + c +
                         "add rule " + t + " output fib daddr type local jump ports" + c +
                         "add rule " + t + " forward jump berth-user" + c + "add rule " + t +
                         " forward jump isolation" + c + "add rule " + t +
                         " postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade" + c;
      BERTH_TRY_CTX(std::string out, run(base), "create firewall table " + t);
      (void)out;
    }
    BERTH_TRY_VOID(sysctl("net.ipv4.ip_forward", "1"));
    return okResult();
  }

  Result<void> addNetwork(const NetworkRules& n) override {
    std::string what = "add firewall rules of network " + n.id;
    if (!validTag(n.id)) return invalidArgument(what + ": invalid id");
    if (!validIfname(n.bridge)) return invalidArgument(what + ": invalid bridge name " + n.bridge);
    BERTH_TRY_VOID_CTX(removeNetwork(n.id), what);
    std::string t = "ip " + table_;
    std::string br = nftQuote(n.bridge);
    std::string c = " comment " + nftQuote(netTag(n.id)) + "\n";
    std::string subnet = n.subnet.canonical().toString();
    std::string s = "add element " + t + " bridges { " + br + " }\n";
    s += "add rule " + t + " isolation iifname " + br + " oifname != " + br +
         " oifname @bridges drop" + c;
    if (n.internal) {
      s += "add rule " + t + " forward iifname " + br + " oifname != " + br + " drop" + c;
      s += "add rule " + t + " forward oifname " + br + " iifname != " + br + " drop" + c;
    } else {
      s += "add rule " + t + " forward oifname " + br + " ct state established,related accept" + c;
      s += "add rule " + t + " forward oifname " + br + " iifname != " + br +
           " ct status dnat accept" + c;
    }
    s += "add rule " + t + " forward iifname " + br + " oifname " + br +
         (n.icc ? " accept" : " drop") + c;
    if (!n.internal) {
      s += "add rule " + t + " forward iifname " + br + " oifname != " + br + " accept" + c;
      s += "add rule " + t + " forward oifname " + br + " drop" + c;
      if (n.masquerade)
        s += "add rule " + t + " postrouting ip saddr " + subnet + " oifname != " + br +
             " masquerade" + c;
    }
    BERTH_TRY_CTX(std::string out, run(s), what);
    (void)out;
    BERTH_TRY_VOID_CTX(sysctl("net.ipv4.conf." + n.bridge + ".route_localnet", "1"), what);
    return okResult();
  }

  Result<void> removeNetwork(const std::string& id) override {
    std::string tag = netTag(id);
    BERTH_TRY(json rules, listJson());
    std::string script;
    std::string bridge;
    for (const auto& rule : rules) {
      if (rule.value("comment", "") != tag) continue;
      script += deleteRule(rule);
      if (rule.value("chain", "") == "isolation") bridge = matchedIfname(rule, "iifname");
    }
    if (!bridge.empty())
      script += "delete element ip " + table_ + " bridges { " + nftQuote(bridge) + " }\n";
    if (script.empty()) return okResult();
    BERTH_TRY_CTX(std::string out, run(script), "remove firewall rules of network " + id);
    (void)out;
    return okResult();
  }

  Result<void> addPortMapping(const std::string& owner, const PortMapping& m) override {
    std::string tag = mappingTag(owner, m);
    std::string what =
        "add firewall rules for port " + std::to_string(m.host_port) + "/" + protocolName(m.proto);
    if (!validTag(tag)) return invalidArgument(what + ": invalid owner");
    if (!m.bridge.empty() && !validIfname(m.bridge))
      return invalidArgument(what + ": invalid bridge name " + m.bridge);
    if (m.host_port == 0 || m.container_port == 0) return invalidArgument(what + ": port 0");
    BERTH_TRY_VOID_CTX(removePortMapping(owner, m), what);
    std::string t = "ip " + table_;
    std::string proto = protocolName(m.proto);
    std::string c = " comment " + nftQuote(tag) + "\n";
    std::string dest = m.container_ip.toString();
    std::string s = "add rule " + t + " ports";
    if (m.host_ip && !m.host_ip->isUnspecified()) s += " ip daddr " + m.host_ip->toString();
    s += " " + proto + " dport " + std::to_string(m.host_port) + " dnat to " + dest + ":" +
         std::to_string(m.container_port) + c;
    // Hairpin: a container reaching its own published port comes back through the bridge.
    s += "add rule " + t + " postrouting ip saddr " + dest + " ip daddr " + dest + " " + proto +
         " dport " + std::to_string(m.container_port) + " masquerade" + c;
    BERTH_TRY_CTX(std::string out, run(s), what);
    (void)out;
    if (!m.bridge.empty()) {
      BERTH_TRY_VOID_CTX(sysctl("net.ipv4.conf." + m.bridge + ".route_localnet", "1"), what);
    }
    return okResult();
  }

  Result<void> removePortMapping(const std::string& owner, const PortMapping& m) override {
    return removeTagged([&](const std::string& c) { return c == mappingTag(owner, m); },
                        "remove firewall rules of " + owner);
  }

  Result<void> removePortMappings(const std::string& owner) override {
    std::string prefix = ownerPrefix(owner);
    return removeTagged([&](const std::string& c) { return c.rfind(prefix, 0) == 0; },
                        "remove firewall rules of " + owner);
  }

  Result<void> removeAll() override {
    auto listed = run("list table ip " + table_, false);
    if (!listed) return okResult();
    BERTH_TRY_CTX(std::string out, run("delete table ip " + table_),
                  "remove firewall table ip " + table_);
    (void)out;
    return okResult();
  }

  Result<std::string> listRules() override { return run("list table ip " + table_); }

 private:
  // Runs an nft script; returns its output. Errors carry nft's own message (first line).
  Result<std::string> run(const std::string& script, bool report = true) {
    nft_ctx_output_set_flags(ctx_, 0);
    int rc = nft_run_cmd_from_buffer(ctx_, script.c_str());
    std::string out = nft_ctx_get_output_buffer(ctx_);
    std::string err = nft_ctx_get_error_buffer(ctx_);
    if (rc != 0) {
      std::string first = err.substr(0, err.find('\n'));
      if (report) log::debug("nft failed: " + script + "\n" + err);
      if (first.rfind("Error: ", 0) == 0) first = first.substr(7);
      if (!first.empty()) first[0] = char(std::tolower(uint8_t(first[0])));
      return internalError("nft: " + (first.empty() ? std::string("failed") : first));
    }
    return out;
  }

  // The rules of the table (JSON objects with chain, handle, comment, expr); empty when the
  // table does not exist.
  Result<json> listJson() {
    nft_ctx_output_set_flags(ctx_, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    int rc = nft_run_cmd_from_buffer(ctx_, ("list table ip " + table_).c_str());
    std::string out = nft_ctx_get_output_buffer(ctx_);
    nft_ctx_get_error_buffer(ctx_);
    nft_ctx_output_set_flags(ctx_, 0);
    json rules = json::array();
    if (rc != 0) return rules;
    try {
      json doc = json::parse(out);
      for (const auto& item : doc.at("nftables"))
        if (item.contains("rule")) rules.push_back(item["rule"]);
    } catch (const json::exception& e) {
      return internalError(std::string("parse nft json: ") + e.what());
    }
    return rules;
  }

  std::string deleteRule(const json& rule) {
    return "delete rule ip " + table_ + " " + rule.value("chain", "") + " handle " +
           std::to_string(rule.value("handle", 0)) + "\n";
  }

  // The interface name of a `<key> == "name"` match in a rule.
  static std::string matchedIfname(const json& rule, const std::string& key) {
    if (!rule.contains("expr")) return "";
    for (const auto& e : rule["expr"]) {
      if (!e.contains("match")) continue;
      const auto& m = e["match"];
      if (m.value("op", "") != "==" || !m.contains("left") || !m["left"].contains("meta")) continue;
      if (m["left"]["meta"].value("key", "") != key || !m["right"].is_string()) continue;
      return m["right"].get<std::string>();
    }
    return "";
  }

  template <typename Pred>
  Result<void> removeTagged(Pred pred, const std::string& what) {
    BERTH_TRY(json rules, listJson());
    std::string script;
    for (const auto& rule : rules)
      if (pred(rule.value("comment", ""))) script += deleteRule(rule);
    if (script.empty()) return okResult();
    BERTH_TRY_CTX(std::string out, run(script), what);
    (void)out;
    return okResult();
  }

  Result<void> sysctl(const std::string& key, const std::string& value) {
    if (!netns_) return writeSysctl(key, value);
    return runInNetns(netns_.get(), [&] { return writeSysctl(key, value); });
  }

  std::string table_;
  UniqueFd netns_;
  nft_ctx* ctx_ = nullptr;
};

}  // namespace

const char* protocolName(Protocol proto) {
  switch (proto) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kSctp:
      return "sctp";
  }
  return "tcp";
}

Result<Protocol> parseProtocol(std::string_view text) {
  if (text == "tcp") return Protocol::kTcp;
  if (text == "udp") return Protocol::kUdp;
  if (text == "sctp") return Protocol::kSctp;
  return invalidArgument("invalid proto: " + std::string(text));
}

Result<std::unique_ptr<Firewall>> makeNftablesFirewall(const std::string& table, int netns_fd) {
  if (table.empty() || table.size() > 64 ||
      table.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos)
    return invalidArgument("invalid firewall table name: " + table);
  UniqueFd ns;
  if (netns_fd >= 0) {
    ns.reset(::fcntl(netns_fd, F_DUPFD_CLOEXEC, 0));
    if (!ns) return errnoError("duplicate netns fd");
  }
  auto fw = std::make_unique<NftablesFirewall>(table, std::move(ns));
  BERTH_TRY_VOID(fw->open());
  return std::unique_ptr<Firewall>(std::move(fw));
}

}  // namespace berth::network
