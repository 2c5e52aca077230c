#include "daemon/exec_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::daemon {
namespace {

using nlohmann::json;

TEST(ExecConfigTest, ParsesDockerBody) {
  auto c = parseExecConfig(R"({"User":"nobody","Privileged":true,"Tty":true,
      "ConsoleSize":[24,80],"AttachStdin":true,"AttachStdout":true,"AttachStderr":false,
      "DetachKeys":"ctrl-x","Env":["A=1"],"WorkingDir":"/tmp","Cmd":["sh","-c","echo"]})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->User, "nobody");
  EXPECT_TRUE(c->Privileged);
  EXPECT_TRUE(c->Tty);
  ASSERT_TRUE(c->ConsoleSize);
  EXPECT_EQ(c->ConsoleSize->first, 24u);
  EXPECT_EQ(c->ConsoleSize->second, 80u);
  EXPECT_TRUE(c->AttachStdin);
  EXPECT_FALSE(c->AttachStderr);
  EXPECT_EQ(c->DetachKeys, "ctrl-x");
  EXPECT_EQ(c->Env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(c->WorkingDir, "/tmp");
  EXPECT_EQ(c->Cmd, (std::vector<std::string>{"sh", "-c", "echo"}));
}

TEST(ExecConfigTest, RejectsBadBodies) {
  EXPECT_EQ(parseExecConfig(R"({"Cmd":[]})").error().message(), "No exec command specified");
  EXPECT_EQ(parseExecConfig(R"({})").error().message(), "No exec command specified");
  EXPECT_EQ(parseExecConfig("[1]").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parseExecConfig(R"({"Cmd":"ls"})").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(parseExecConfig(R"({"Cmd":["ls"],"ConsoleSize":[1]})").ok());
  EXPECT_FALSE(parseExecConfig(R"({"Cmd":["ls"],"WorkingDir":"rel"})").ok());
  // null is the default, as Go's decoder.
  EXPECT_TRUE(parseExecConfig(R"({"Cmd":["ls"],"Env":null,"ConsoleSize":null})").ok());
}

TEST(ExecConfigTest, ParsesStart) {
  auto s = parseExecStart("");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Detach);
  s = parseExecStart(R"({"Detach":true,"Tty":true,"ConsoleSize":[10,20]})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Detach);
  EXPECT_TRUE(s->Tty);
  EXPECT_EQ(s->ConsoleSize->second, 20u);
  EXPECT_FALSE(parseExecStart("{").ok());
}

TEST(ExecConfigTest, InspectShape) {
  ExecInspect e;
  e.id = "abc";
  e.container_id = "def";
  e.config.Cmd = {"sh", "-c", "exit 3"};
  json j = json::parse(execInspectJson(e));
  EXPECT_TRUE(j["ExitCode"].is_null());
  EXPECT_EQ(j["ProcessConfig"]["entrypoint"], "sh");
  EXPECT_EQ(j["ProcessConfig"]["arguments"], json({"-c", "exit 3"}));
  EXPECT_EQ(j["ProcessConfig"]["privileged"], false);
  EXPECT_FALSE(j["ProcessConfig"].contains("user"));
  EXPECT_EQ(j["Pid"], 0);
  e.exit_code = 3;
  e.config.User = "nobody";
  j = json::parse(execInspectJson(e));
  EXPECT_EQ(j["ExitCode"], 3);
  EXPECT_EQ(j["ProcessConfig"]["user"], "nobody");
}

TEST(ExecConfigTest, EventAction) {
  EXPECT_EQ(execEventAction("exec_create", {"sh", "-c", "exit 3"}), "exec_create: sh -c exit 3");
  EXPECT_EQ(execEventAction("exec_start", {"ls"}), "exec_start: ls ");
}

TEST(ExecConfigTest, TopArgs) {
  EXPECT_EQ(*topPsArgs(""), (std::vector<std::string>{"-ef"}));
  EXPECT_EQ(*topPsArgs("-o pid,comm"), (std::vector<std::string>{"-o", "pid,comm"}));
  EXPECT_EQ(topPsArgs("-o pid,user= PID").error().message(),
            "specifying \"pid,user=PID\" is not allowed");
}

TEST(ExecConfigTest, TopParsesPsOutput) {
  std::string ps =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n"
      "root         42       1  0 10:01 ?        00:00:00 sleep 1000\n"
      "root         43       1  0 10:01 ?        00:00:00 sh -c  two  spaces\n";
  auto out = topFromPsOutput(ps, {42, 43});
  ASSERT_TRUE(out.ok()) << out.error().message();
  json j = json::parse(*out);
  EXPECT_EQ(j["Titles"], json({"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}));
  ASSERT_EQ(j["Processes"].size(), 2u);
  EXPECT_EQ(j["Processes"][0][7], "sleep 1000");
  EXPECT_EQ(j["Processes"][1][7], "sh -c  two  spaces");
  EXPECT_EQ(j["Processes"][0][1], "42");
  EXPECT_EQ(topFromPsOutput("USER COMMAND\nroot x\n", {1}).error().message(),
            "Couldn't find PID field in ps output");
}

TEST(ExecConfigTest, WithExecIds) {
  EXPECT_EQ(withExecIds(R"({"ExecIDs":null})", {}), R"({"ExecIDs":null})");
  json j = json::parse(withExecIds(R"({"ExecIDs":null,"Id":"x"})", {"a", "b"}));
  EXPECT_EQ(j["ExecIDs"], json({"a", "b"}));
  EXPECT_EQ(j["Id"], "x");
}

}  // namespace
}  // namespace berth::daemon
