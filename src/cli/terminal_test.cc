#include "cli/terminal.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

namespace berth::cli {
namespace {

TEST(DetachKeysTest, ParsesDockerSpellings) {
  EXPECT_EQ(*parseDetachKeys(""), std::string("\x10\x11"));
  EXPECT_EQ(*parseDetachKeys("ctrl-a,x"), std::string("\x01x"));
  EXPECT_EQ(*parseDetachKeys("ctrl-@,ctrl-_"), std::string("\x00\x1f", 2));
  auto bad = parseDetachKeys("ctrl-A");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid detach keys (ctrl-A) provided");
  EXPECT_FALSE(parseDetachKeys("xy"));
}

TEST(DetachMatcherTest, HoldsBackAPrefixAndReleasesItOnMismatch) {
  DetachMatcher m("\x10\x11");
  std::string out;
  EXPECT_FALSE(m.feed("ab\x10", &out));
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_FALSE(m.feed("c", &out));
  EXPECT_EQ(out, "\x10" "c");
  out.clear();
  EXPECT_FALSE(m.feed("\x10\x10", &out));
  EXPECT_EQ(out, "\x10");
  out.clear();
  EXPECT_TRUE(m.feed("\x11tail", &out));
  EXPECT_EQ(out, "");
}

TEST(RawTerminalTest, RestoresTheModeWhenDestroyed) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  struct termios before {};
  ASSERT_EQ(::tcgetattr(slave, &before), 0);
  ASSERT_TRUE(before.c_lflag & ECHO);
  {
    auto raw = RawTerminal::enable(slave);
    ASSERT_TRUE(raw) << raw.error().message();
    struct termios now {};
    ASSERT_EQ(::tcgetattr(slave, &now), 0);
    EXPECT_FALSE(now.c_lflag & (ECHO | ICANON | ISIG));
    EXPECT_FALSE(now.c_oflag & OPOST);
  }
  struct termios after {};
  ASSERT_EQ(::tcgetattr(slave, &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
  EXPECT_FALSE(RawTerminal::enable(-1));
  ::close(master);
  ::close(slave);
}

TEST(TerminalSizeTest, ReadsTheWindowSize) {
  struct winsize ws {};
  ws.ws_row = 33;
  ws.ws_col = 111;
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, &ws), 0);
  auto size = terminalSize(slave);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->rows, 33u);
  EXPECT_EQ(size->cols, 111u);
  ::close(master);
  ::close(slave);
}

TEST(ProxiedSignalsTest, LeavesOutWhatDockerDoesNotForward) {
  auto s = proxiedSignals();
  for (int excluded : {SIGCHLD, SIGPIPE, SIGURG, SIGWINCH, SIGKILL, SIGSTOP}) {
    EXPECT_EQ(std::count(s.begin(), s.end(), excluded), 0) << excluded;
  }
  for (int included : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGQUIT}) {
    EXPECT_EQ(std::count(s.begin(), s.end(), included), 1) << included;
  }
}

}  // namespace
}  // namespace berth::cli
