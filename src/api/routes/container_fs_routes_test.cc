// Route-level tests for the container filesystem endpoints with a fake backend.

#include <gtest/gtest.h>
#include <unistd.h>

#include "api/http/fake_response_writer.h"
#include "api/router.h"
#include "api/routes/container_fs_backend.h"

namespace berth::api::routes {
namespace {

class FakeFs : public ContainerFsBackend {
 public:
  Result<void> pauseContainer(const std::string& name) override {
    if (name == "gone") return notFound("No such container: gone");
    paused = name;
    return {};
  }
  Result<void> unpauseContainer(const std::string& name) override {
    return conflict("Container " + name + " is not paused");
  }
  Result<ContainerPathStatResult> statContainerPath(const std::string&,
                                                    const std::string& path) override {
    if (path == "/missing") return notFound("Could not find the file /missing in container c");
    return ContainerPathStatResult{"e30="};
  }
  Result<void> archiveContainerPath(const std::string&, const std::string&,
                                    const std::function<void(const ContainerPathStatResult&)>& begin,
                                    int out_fd) override {
    begin(ContainerPathStatResult{"e30="});
    return ::write(out_fd, "TAR", 3) == 3 ? Result<void>{} : errnoError("write");
  }
  Result<void> extractToContainer(const std::string&, const std::string& path, bool no_overwrite,
                                  bool copy_uid_gid, const FsByteReader& body) override {
    put_path = path;
    put_flags = {no_overwrite, copy_uid_gid};
    char buf[16];
    auto n = body(buf, sizeof buf);
    put_body = n ? std::string(buf, *n) : "";
    return {};
  }
  Result<std::vector<ContainerChangeItem>> containerChanges(const std::string& name) override {
    if (name == "empty") return std::vector<ContainerChangeItem>{};
    return std::vector<ContainerChangeItem>{{"/etc", 0}, {"/x", 1}};
  }
  Result<void> exportContainer(const std::string&, int) override {
    return notFound("No such container: c");
  }
  Result<std::string> commitContainer(const ContainerCommitOptions& o) override {
    commit = o;
    return std::string("sha256:abc");
  }

  std::string paused, put_path, put_body;
  std::pair<bool, bool> put_flags;
  ContainerCommitOptions commit;
};

struct Fixture {
  FakeFs backend;
  Router router;
  Fixture() { addContainerFsRoutes(router, backend); }
  FakeResponseWriter run(Request& r) {
    FakeResponseWriter w;
    router.dispatch(r, w);
    return w;
  }
};

std::string headerOf(const FakeResponseWriter& w, const std::string& name) {
  for (const auto& [k, v] : w.headers()) {
    if (k == name) return v;
  }
  return "";
}

TEST(ContainerFsRoutesTest, PauseUnpause) {
  Fixture f;
  Request r("POST", "/v1.43/containers/c1/pause");
  EXPECT_EQ(f.run(r).status(), 204);
  EXPECT_EQ(f.backend.paused, "c1");
  Request g("POST", "/containers/gone/pause");
  EXPECT_EQ(f.run(g).status(), 404);
  Request u("POST", "/containers/c1/unpause");
  auto w = f.run(u);
  EXPECT_EQ(w.status(), 409);
  EXPECT_EQ(w.body(), "{\"message\":\"Container c1 is not paused\"}\n");
}

TEST(ContainerFsRoutesTest, ArchiveStatGetPut) {
  Fixture f;
  Request empty("HEAD", "/containers/c/archive?path=");
  auto w = f.run(empty);
  EXPECT_EQ(w.status(), 400);
  EXPECT_EQ(w.body(), "{\"message\":\"bad parameter: path cannot be empty\"}\n");
  Request head("HEAD", "/containers/c/archive?path=/etc");
  w = f.run(head);
  EXPECT_EQ(w.status(), 200);
  EXPECT_EQ(headerOf(w, "X-Docker-Container-Path-Stat"), "e30=");
  Request missing("HEAD", "/containers/c/archive?path=/missing");
  EXPECT_EQ(f.run(missing).status(), 404);
  Request get("GET", "/containers/c/archive?path=/etc");
  w = f.run(get);
  EXPECT_EQ(w.status(), 200);
  EXPECT_EQ(headerOf(w, "X-Docker-Container-Path-Stat"), "e30=");
  EXPECT_EQ(w.body(), "TAR");
  Request put("PUT", "/containers/c/archive?path=/tmp&noOverwriteDirNonDir=true&copyUIDGID=1");
  put.setBody(std::make_unique<StringBody>("data"));
  w = f.run(put);
  EXPECT_EQ(w.status(), 200);
  EXPECT_EQ(f.backend.put_path, "/tmp");
  EXPECT_EQ(f.backend.put_flags, std::make_pair(true, true));
  EXPECT_EQ(f.backend.put_body, "data");
}

TEST(ContainerFsRoutesTest, ChangesExportCommit) {
  Fixture f;
  Request ch("GET", "/containers/c/changes");
  auto w = f.run(ch);
  EXPECT_EQ(w.body(), R"([{"Path":"/etc","Kind":0},{"Path":"/x","Kind":1}])");
  Request none("GET", "/containers/empty/changes");
  EXPECT_EQ(f.run(none).body(), "null");
  Request ex("GET", "/containers/c/export");
  EXPECT_EQ(f.run(ex).status(), 404);

  Request commit("POST", "/commit?container=c&repo=r&tag=t&comment=m&author=a&changes=ENV%20A%3D1"
                         "&changes=CMD%20x");
  w = f.run(commit);
  EXPECT_EQ(w.status(), 201);
  EXPECT_EQ(w.body(), R"({"Id":"sha256:abc"})");
  EXPECT_EQ(f.backend.commit.container, "c");
  EXPECT_TRUE(f.backend.commit.pause);  // the default
  EXPECT_EQ(f.backend.commit.changes, (std::vector<std::string>{"ENV A=1", "CMD x"}));
  Request nopause("POST", "/commit?container=c&pause=0");
  f.run(nopause);
  EXPECT_FALSE(f.backend.commit.pause);
}

}  // namespace
}  // namespace berth::api::routes
