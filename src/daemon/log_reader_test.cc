#include "daemon/log_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <vector>

namespace berth::daemon {
namespace {

class LogFollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-log-reader-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c-json.log";
    std::ofstream out(path_);
    out << R"({"log":"one\n","stream":"stdout","time":"2026-01-01T00:00:01.5Z"})" << "\n"
        << R"({"log":"two\n","stream":"stderr","time":"2026-01-01T00:00:02Z"})" << "\n";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  std::string dir_, path_;
};

TEST_F(LogFollowTest, DetailsPutsTheAttributeSeparatorFirst) {
  LogReadOptions o;
  o.details = true;
  std::vector<std::pair<int, std::string>> got;
  auto r = readContainerLog(
      path_, o,
      [&](int stream, std::string_view data) {
        got.emplace_back(stream, std::string(data));
        return true;
      },
      [] { return false; });
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<int, std::string>{1, " one\n"}));
  EXPECT_EQ(got[1], (std::pair<int, std::string>{2, " two\n"}));
  o.timestamps = true;
  got.clear();
  ASSERT_TRUE(readContainerLog(
                  path_, o,
                  [&](int stream, std::string_view data) {
                    got.emplace_back(stream, std::string(data));
                    return true;
                  },
                  [] { return false; })
                  .ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second, "2026-01-01T00:00:01.500000000Z  one\n");
}

TEST_F(LogFollowTest, IdleFollowerStopsWhenItsClientIsGone) {
  LogReadOptions o;
  o.follow = true;
  int lines = 0, probes = 0;
  auto r = readContainerLog(
      path_, o,
      [&](int, std::string_view data) {
        if (!data.empty()) {
          ++lines;
          return true;
        }
        return ++probes < 3;  // the client goes away at the third idle check
      },
      [] { return true; });  // the container keeps running
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(probes, 3);
}

TEST_F(LogFollowTest, FollowEndsWhenTheContainerStops) {
  LogReadOptions o;
  o.follow = true;
  int checks = 0, lines = 0;
  auto r = readContainerLog(
      path_, o,
      [&](int, std::string_view data) {
        if (!data.empty()) ++lines;
        return true;
      },
      [&] { return ++checks < 2; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(checks, 2);
}

}  // namespace
}  // namespace berth::daemon
