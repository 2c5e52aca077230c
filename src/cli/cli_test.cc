#include <cstdlib>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/container_opts.h"
#include "cli/flags.h"
#include "cli/formatters.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

using nlohmann::json;

constexpr int64_t kSec = 1000000000;

FlagSet psLikeFlags() {
  FlagSet f;
  f.addBool("all", 'a', "Show all");
  f.addBool("quiet", 'q', "Quiet");
  f.addInt("last", 'n', -1, "Last n");
  f.addList("filter", 'f', "Filter", "filter");
  f.validate(validateFilter);
  f.addString("format", 0, "", "Format");
  return f;
}

TEST(FlagsTest, LongShortCombinedAndInterspersed) {
  FlagSet f = psLikeFlags();
  ASSERT_TRUE(f.parse({"x", "-aq", "--format={{.ID}}", "-n5", "-f", "a=b", "--filter", "c=d",
                       "y"},
                      true)
                  .ok());
  EXPECT_TRUE(f.getBool("all"));
  EXPECT_TRUE(f.getBool("quiet"));
  EXPECT_EQ(f.getString("format"), "{{.ID}}");
  EXPECT_EQ(f.getInt("last"), 5);
  EXPECT_EQ(f.getList("filter"), (std::vector<std::string>{"a=b", "c=d"}));
  EXPECT_EQ(f.args(), (std::vector<std::string>{"x", "y"}));
}

TEST(FlagsTest, NonInterspersedStopsAtFirstArg) {
  FlagSet f;
  addContainerFlags(f, true);
  ASSERT_TRUE(f.parse({"-d", "--rm", "busybox", "ls", "-la", "--rm"}, false).ok());
  EXPECT_TRUE(f.getBool("detach"));
  EXPECT_EQ(f.args(), (std::vector<std::string>{"busybox", "ls", "-la", "--rm"}));
  FlagSet g;
  addContainerFlags(g, true);
  ASSERT_TRUE(g.parse({"-it", "-e", "A=1", "--", "img", "-x"}, false).ok());
  EXPECT_TRUE(g.getBool("interactive"));
  EXPECT_TRUE(g.getBool("tty"));
  EXPECT_EQ(g.args(), (std::vector<std::string>{"img", "-x"}));
}

TEST(FlagsTest, ErrorsReadLikePflag) {
  auto msg = [](std::vector<std::string> args) {
    FlagSet f = psLikeFlags();
    auto r = f.parse(args, true);
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(msg({"--foo"}), "unknown flag: --foo");
  EXPECT_EQ(msg({"-x"}), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(msg({"-ax"}), "unknown shorthand flag: 'x' in -ax");
  EXPECT_EQ(msg({"--format"}), "flag needs an argument: --format");
  EXPECT_EQ(msg({"-n"}), "flag needs an argument: 'n' in -n");
  EXPECT_EQ(msg({"-n", "x"}),
            "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"x\": "
            "invalid syntax");
  EXPECT_EQ(msg({"--filter", "foo"}),
            "invalid argument \"foo\" for \"-f, --filter\" flag: bad format of filter "
            "(expected name=value)");
  EXPECT_EQ(msg({"--all=maybe"}),
            "invalid argument \"maybe\" for \"-a, --all\" flag: strconv.ParseBool: parsing "
            "\"maybe\": invalid syntax");
  FlagSet f = psLikeFlags();
  ASSERT_TRUE(f.parse({"--all=false", "--help"}, true).ok());
  EXPECT_FALSE(f.getBool("all"));
  EXPECT_TRUE(f.help());
}

TEST(FlagsTest, UsagesLikeDocker) {
  FlagSet f;
  f.addBool("force", 'f', "Force the removal of a running container (uses SIGKILL)");
  f.addBool("link", 'l', "Remove the specified link");
  f.addBool("volumes", 'v', "Remove anonymous volumes associated with the container");
  EXPECT_EQ(f.usages(),
            "  -f, --force     Force the removal of a running container (uses SIGKILL)\n"
            "  -l, --link      Remove the specified link\n"
            "  -v, --volumes   Remove anonymous volumes associated with the container\n");
  FlagSet g;
  g.addInt("last", 'n', -1, "Show n last created containers (includes all states)");
  g.addBool("all", 'a', "Show all containers (default shows just running)");
  // docker ps --help (not a terminal: 79 columns).
  EXPECT_EQ(g.usages(),
            "  -a, --all        Show all containers (default shows just running)\n"
            "  -n, --last int   Show n last created containers (includes all states)\n"
            "                   (default -1)\n");
}

// Every command parses its own documented flags and rejects unknown ones with exit code 125.
TEST(CommandsTest, EveryCommandParsesItsFlags) {
  for (const auto& c : commands()) {
    FlagSet f;
    if (c.flags) c.flags(f);
    EXPECT_TRUE(f.parse({"--help"}, c.interspersed).ok()) << c.path;
    EXPECT_TRUE(f.help()) << c.path;
    FlagSet g;
    if (c.flags) c.flags(g);
    auto r = g.parse({"--no-such-flag"}, c.interspersed);
    ASSERT_FALSE(r.ok()) << c.path;
    EXPECT_EQ(r.error().message(), "unknown flag: --no-such-flag");
    EXPECT_FALSE(helpText(c, "berth " + c.path).empty());
  }
  EXPECT_EQ(run({"ps", "--no-such-flag"}), 125);
  EXPECT_EQ(run({"rm"}), 1);
  EXPECT_EQ(run({"nonexistent-command"}), 1);
  EXPECT_EQ(run({"--version"}), 0);
  EXPECT_EQ(run({"--config", "/x", "ps"}), 1);
}

TEST(CommandsTest, ArgCountMessages) {
  const CommandSpec* rm = nullptr;
  for (const auto& c : commands()) {
    if (c.path == "container rm") rm = &c;
  }
  ASSERT_NE(rm, nullptr);
  auto r = checkArgs(*rm, "berth rm", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] "
            "CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information");
  EXPECT_TRUE(checkArgs(*rm, "berth rm", 2).ok());
}

TEST(UnitsTest, HumanDuration) {
  EXPECT_EQ(humanDuration(0), "Less than a second");
  EXPECT_EQ(humanDuration(1 * kSec), "1 second");
  EXPECT_EQ(humanDuration(59 * kSec), "59 seconds");
  EXPECT_EQ(humanDuration(60 * kSec), "About a minute");
  EXPECT_EQ(humanDuration(119 * kSec), "About a minute");
  EXPECT_EQ(humanDuration(120 * kSec), "2 minutes");
  EXPECT_EQ(humanDuration(59 * 60 * kSec), "59 minutes");
  EXPECT_EQ(humanDuration(60 * 60 * kSec), "About an hour");
  EXPECT_EQ(humanDuration(89 * 60 * kSec), "About an hour");
  EXPECT_EQ(humanDuration(91 * 60 * kSec), "2 hours");
  EXPECT_EQ(humanDuration(47 * 3600 * kSec), "47 hours");
  EXPECT_EQ(humanDuration(48 * 3600 * kSec), "2 days");
  EXPECT_EQ(humanDuration(14 * 24 * 3600 * kSec), "2 weeks");
  EXPECT_EQ(humanDuration(60 * 24 * 3600 * kSec), "2 months");
  EXPECT_EQ(humanDuration(3 * 365 * 24 * 3600 * kSec), "3 years");
}

TEST(UnitsTest, HumanSize) {
  EXPECT_EQ(humanSizeWithPrecision(0, 3), "0B");
  EXPECT_EQ(humanSizeWithPrecision(1984000, 3), "1.98MB");
  EXPECT_EQ(humanSizeWithPrecision(4260000, 3), "4.26MB");
  EXPECT_EQ(humanSizeWithPrecision(1000, 3), "1kB");
  EXPECT_EQ(humanSizeWithPrecision(999999, 3), "1e+03kB");
  EXPECT_EQ(humanSize(1984000), "1.984MB");
  EXPECT_EQ(bytesSize(23.54 * 1024 * 1024 * 1024), "23.54GiB");
}

TEST(UnitsTest, RamInBytesAndCpus) {
  EXPECT_EQ(*ramInBytes("64m"), 64 * 1024 * 1024);
  EXPECT_EQ(*ramInBytes("1.5GiB"), 1536LL * 1024 * 1024);
  EXPECT_EQ(*ramInBytes("100"), 100);
  EXPECT_EQ(*ramInBytes("2 kb"), 2048);
  EXPECT_FALSE(ramInBytes("xyz").ok());
  EXPECT_EQ(ramInBytes("12q").error().message(), "invalid size: '12q'");
  EXPECT_EQ(*parseCpus("0.5"), 500000000);
  EXPECT_EQ(parseCpus("x").error().message(), "failed to parse x as a rational number");
}

TEST(UnitsTest, DurationsAndTimestamps) {
  EXPECT_EQ(*parseGoDuration("1h2m3s"), (3600 + 120 + 3) * kSec);
  EXPECT_EQ(*parseGoDuration("300ms"), 300000000);
  EXPECT_FALSE(parseGoDuration("10").ok());
  EXPECT_EQ(*getTimestamp("10m", 1000000), "999400");
  EXPECT_EQ(*getTimestamp("1700000000.5", 0), "1700000000.5");
  EXPECT_EQ(*getTimestamp("2024-01-01T00:00:00Z", 0), "1704067200.000000000");
  EXPECT_EQ(*getTimestamp("2024-01-01T01:00:00.25+01:00", 0), "1704067200.250000000");
  EXPECT_FALSE(getTimestamp("yesterday", 0).ok());
}

TEST(UnitsTest, TimeStringsInUtc) {
  ::setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(goTimeString(1704067200), "2024-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(rfc3339(1704067200), "2024-01-01T00:00:00Z");
}

TEST(UnitsTest, EllipsisQuoteTruncate) {
  EXPECT_EQ(ellipsis("sh -c 'echo out; echo err >&2; exit 3'", 20), "sh -c 'echo out; ec…");
  EXPECT_EQ(ellipsis("short", 20), "short");
  EXPECT_EQ(ellipsis("", 20), "");
  EXPECT_EQ(goQuote("a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
  EXPECT_EQ(truncateId("sha256:3ab2101245ea2ace5ced4cddc118e4"), "3ab2101245ea");
}

TEST(FormattersTest, PsTableMatchesDocker) {
  ::setenv("TZ", "UTC", 1);
  tzset();
  int64_t now = 1704067200LL * kSec;
  json c1 = {{"Id", "70a0bad2db21aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
             {"Names", {"/t1"}},
             {"Image", "busybox"},
             {"ImageID", "sha256:3ab2101245ea2ace"},
             {"Command", "sh -c 'echo out; echo err >&2; exit 3'"},
             {"Created", 1704067200 - 2},
             {"Ports", json::array()},
             {"Labels", {{"a", "b"}, {"c", "d"}}},
             {"State", "exited"},
             {"Status", "Exited (3) Less than a second ago"},
             {"NetworkSettings", {{"Networks", {{"none", json::object()}}}}},
             {"Mounts", json::array()}};
  json c2 = {{"Id", "18d1fce432fcbbbbbbbbbbbbb"},      {"Names", {"/vigilant_brahmagupta"}},
             {"Image", "busybox"},                     {"ImageID", "sha256:3ab2101245ea"},
             {"Command", "/etc"},                      {"Created", 1704067200 - 75},
             {"State", "created"},                     {"Status", "Created"}};
  std::vector<json> rows = {containerRow(c1, true, now), containerRow(c2, true, now)};
  auto out = renderFormatted("", kPsTableFormat, psHeader(), rows);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS      "
            "                        PORTS     NAMES\n"
            "70a0bad2db21   busybox   \"sh -c 'echo out; ec…\"   2 seconds ago        Exited (3) "
            "Less than a second ago             t1\n"
            "18d1fce432fc   busybox   \"/etc\"                   About a minute ago   Created     "
            "                                  vigilant_brahmagupta\n");
  EXPECT_EQ(rows[0]["Labels"], "a=b,c=d");
  EXPECT_EQ(rows[0]["Networks"], "none");
  EXPECT_EQ(rows[0]["CreatedAt"], "2023-12-31 23:59:58 +0000 UTC");
  auto json_out = renderFormatted("json", kPsTableFormat, psHeader(), {rows[1]});
  ASSERT_TRUE(json_out.ok());
  EXPECT_EQ(*json_out,
            "{\"Command\":\"\\\"/etc\\\"\",\"CreatedAt\":\"2023-12-31 23:58:45 +0000 UTC\","
            "\"ID\":\"18d1fce432fc\",\"Image\":\"busybox\",\"Labels\":\"\",\"LocalVolumes\":\"0\","
            "\"Mounts\":\"\",\"Names\":\"vigilant_brahmagupta\",\"Networks\":\"\",\"Platform\":"
            "null,\"Ports\":\"\",\"RunningFor\":\"About a minute ago\",\"Size\":\"0B\",\"State\":"
            "\"created\",\"Status\":\"Created\"}\n");
  std::map<std::string, json> by_id;
  by_id[rows[0]["ID"].get<std::string>()] = json{{"a", "b"}, {"c", "d"}};
  LabelMethods labels(by_id);
  tmpl::RowMethods methods = labels.methods();
  auto label = renderFormatted("{{.ID}} {{.Label \"a\"}}|{{.Label \"zz\"}}", kPsTableFormat,
                               psHeader(), rows, methods);
  ASSERT_TRUE(label.ok()) << label.error().message();
  EXPECT_EQ(*label, rows[0]["ID"].get<std::string>() + " b|\n" +
                        rows[1]["ID"].get<std::string>() + " |\n");
  // The header of a label column is the key's last part, '-' and '_' as spaces.
  auto table = renderFormatted("table {{.ID}}\t{{.Label \"com.x-y_z.a\"}}", kPsTableFormat, psHeader(),
                               {rows[0]}, methods);
  ASSERT_TRUE(table.ok()) << table.error().message();
  EXPECT_EQ(*table, "CONTAINER ID   a\n" + rows[0]["ID"].get<std::string>() + "   \n");
  auto bad = renderFormatted("{{.Label}}", kPsTableFormat, psHeader(), rows, methods);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("wrong number of args for Label: want 1 got 0"),
            std::string::npos)
      << bad.error().message();
}

TEST(FormattersTest, ImagesRowsMatchDocker) {
  int64_t now = (1704067200LL + 2 * 365 * 86400 + 86400 * 30) * kSec;
  json img = {{"Id", "sha256:3ab2101245ea2ace5ced4cddc118e40021351c523dd3b4fe76b0a46b5aad77af"},
              {"RepoTags", {"busybox:latest", "busybox:1", "docker.io/library/other:x"}},
              {"RepoDigests", {"busybox@sha256:abcd"}},
              {"Created", 1704067200},
              {"Size", 1984000},
              {"Containers", -1},
              {"SharedSize", -1}};
  auto rows = imageRows(img, true, false, now);
  ASSERT_EQ(rows.size(), 3u);
  auto out = renderFormatted("", kImagesTableFormat, imagesHeader(), rows);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n"
            "busybox      latest    3ab2101245ea   2 years ago   1.98MB\n"
            "busybox      1         3ab2101245ea   2 years ago   1.98MB\n"
            "other        x         3ab2101245ea   2 years ago   1.98MB\n");
  auto with_digests = imageRows(img, true, true, now);
  EXPECT_EQ(with_digests[0]["Digest"], "sha256:abcd");
  EXPECT_EQ(with_digests[2]["Digest"], "<none>");
  json dangling = {{"Id", "sha256:ff"}, {"RepoTags", json::array()}, {"Created", 1704067200}};
  auto d = imageRows(dangling, true, false, now);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["Repository"], "<none>");
  EXPECT_EQ(d[0]["Tag"], "<none>");
  auto q = renderFormatted("json", kImagesTableFormat, imagesHeader(), d);
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->find("\"Digest\":\"\\u003cnone\\u003e\""), std::string::npos) << *q;
}

TEST(FormattersTest, HistoryMatchesDocker) {
  int64_t now = (1704067200LL + 2 * 365 * 86400 + 86400 * 30) * kSec;
  json h = {{"Id", "sha256:3ab2101245ea2ace5ced4cddc118e4"},
            {"Created", 1704067200},
            {"CreatedBy", "make-busybox-image: Debian busybox-static"},
            {"Size", 1984000},
            {"Comment", ""}};
  auto out = renderFormatted("", kHistoryTableFormat, historyHeader(true),
                             {historyRow(h, true, true, now)});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "IMAGE          CREATED       CREATED BY                                  SIZE      "
            "COMMENT\n"
            "3ab2101245ea   2 years ago   make-busybox-image: Debian busybox-static   1.98MB    \n");
  json raw = historyRow(h, true, false, now);
  EXPECT_EQ(raw["Size"], "1984000");
}

TEST(CommonTest, FiltersJson) {
  EXPECT_EQ(filtersJson({}), "");
  EXPECT_EQ(filtersJson({"status=exited", "label=a=b", "status=created"}),
            R"({"label":{"a=b":true},"status":{"created":true,"exited":true}})");
}

TEST(CommonTest, IndentJsonLikeGo) {
  EXPECT_EQ(indentJson("[{\"a\": 1,\"b\":[],\"c\":{},\"d\":\"x, y: \\\"z\\\"\",\"e\":[1,2]}\n]"),
            "[\n    {\n        \"a\": 1,\n        \"b\": [],\n        \"c\": {},\n        \"d\": "
            "\"x, y: \\\"z\\\"\",\n        \"e\": [\n            1,\n            2\n        ]\n"
            "    }\n]");
}

TEST(ContainerOptsTest, EnvFile) {
  auto lookup = [](const std::string& n) -> std::optional<std::string> {
    if (n == "HOME") return std::string("/root");
    return std::nullopt;
  };
  auto env = parseEnvFileContent("\xEF\xBB\xBF" "A=1\n# comment\n\n  B=two words \nHOME\nUNSET\nC=\r\n",
                                 "f", lookup);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "B=two words ", "HOME=/root", "C="}));
  EXPECT_EQ(parseEnvFileContent("A B=1\n", "f", lookup).error().message(),
            "variable 'A B' contains whitespaces");
  EXPECT_FALSE(parseEnvFileContent("=x\n", "f", lookup).ok());
}

TEST(ContainerOptsTest, Volumes) {
  auto v = parseVolume("/host:/ctr:ro");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->source, "/host");
  EXPECT_EQ(v->target, "/ctr");
  EXPECT_EQ(v->mode, "ro");
  EXPECT_TRUE(parseVolume("/a:/b").ok());
  EXPECT_EQ(parseVolume("named:/x").error().code(), ErrorCode::kNotImplemented);
  EXPECT_EQ(parseVolume("/anon").error().code(), ErrorCode::kNotImplemented);
  EXPECT_FALSE(parseVolume("/a:rel").ok());
  EXPECT_FALSE(parseVolume("/a:/b:bogus").ok());
  EXPECT_FALSE(parseVolume("/a:/b:ro:x").ok());
}

TEST(ContainerOptsTest, Ulimits) {
  auto u = parseUlimit("nofile=100:200");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->soft, 100);
  EXPECT_EQ(u->hard, 200);
  EXPECT_EQ(parseUlimit("nproc=5")->hard, 5);
  EXPECT_FALSE(parseUlimit("bogus").ok());
  EXPECT_FALSE(parseUlimit("nofile=2:1").ok());
  EXPECT_FALSE(parseUlimit("what=1").ok());
}

TEST(ContainerOptsTest, BuildsCreateBody) {
  FlagSet f;
  addContainerFlags(f, true);
  ASSERT_TRUE(f.parse({"--rm", "--name", "web", "-e", "A=1", "-l", "k=v", "-v", "/h:/c", "-w",
                       "/w", "-u", "1000", "-h", "host", "--network", "none", "-m", "64m",
                       "--cpus", "1.5", "--pids-limit", "9", "--ulimit", "nofile=1:2",
                       "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged",
                       "--read-only", "--stop-signal", "SIGINT", "--stop-timeout", "3",
                       "--entrypoint", "/bin/sh", "busybox", "-c", "true"},
                      false)
                  .ok());
  auto req = buildContainerRequest(f, true);
  ASSERT_TRUE(req.ok()) << req.error().message();
  const json& b = req->body;
  EXPECT_EQ(req->name, "web");
  EXPECT_EQ(b["Image"], "busybox");
  EXPECT_EQ(b["Cmd"], json({"-c", "true"}));
  EXPECT_EQ(b["Entrypoint"], json({"/bin/sh"}));
  EXPECT_EQ(b["Env"], json({"A=1"}));
  EXPECT_EQ(b["Labels"], json({{"k", "v"}}));
  EXPECT_EQ(b["WorkingDir"], "/w");
  EXPECT_EQ(b["User"], "1000");
  EXPECT_EQ(b["Hostname"], "host");
  EXPECT_EQ(b["StopSignal"], "SIGINT");
  EXPECT_EQ(b["StopTimeout"], 3);
  EXPECT_TRUE(b["AttachStdout"].get<bool>());
  EXPECT_FALSE(b["AttachStdin"].get<bool>());
  const json& h = b["HostConfig"];
  EXPECT_EQ(h["Binds"], json({"/h:/c"}));
  EXPECT_EQ(h["NetworkMode"], "none");
  EXPECT_TRUE(h["AutoRemove"].get<bool>());
  EXPECT_EQ(h["Memory"], 64 * 1024 * 1024);
  EXPECT_EQ(h["NanoCpus"], 1500000000);
  EXPECT_EQ(h["PidsLimit"], 9);
  EXPECT_EQ(h["Ulimits"], json::parse(R"([{"Name":"nofile","Soft":1,"Hard":2}])"));
  EXPECT_EQ(h["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_TRUE(h["Privileged"].get<bool>());
  EXPECT_TRUE(h["ReadonlyRootfs"].get<bool>());

  FlagSet d;
  addContainerFlags(d, true);
  ASSERT_TRUE(d.parse({"-d", "busybox"}, false).ok());
  auto dreq = buildContainerRequest(d, true);
  ASSERT_TRUE(dreq.ok());
  EXPECT_FALSE(dreq->body["AttachStdout"].get<bool>());
  EXPECT_EQ(dreq->body["HostConfig"]["NetworkMode"], "default");

  FlagSet p;
  addContainerFlags(p, true);
  ASSERT_TRUE(p.parse({"--pull=always", "busybox"}, false).ok());
  EXPECT_EQ(buildContainerRequest(p, true).error().code(), ErrorCode::kNotImplemented);
  FlagSet i;
  addContainerFlags(i, true);
  ASSERT_TRUE(i.parse({"--init", "busybox"}, false).ok());
  EXPECT_FALSE(buildContainerRequest(i, true).ok());
}

}  // namespace
}  // namespace berth::cli
