// Private on-disk state: directory checks (owner, modes, sticky parents, links, creation at 0700, never a chmod),
// private file opens, temp files and their clean-up, the secret file. Files of "another user" are made by chown to
// uid 65534 (nobody), which needs root; those tests skip with a message where that is not possible.
#include "base/private_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace baleen {
namespace {

namespace fs = std::filesystem;
constexpr uid_t kOtherUid = 65534;

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

void WriteText(const std::string& path, const std::string& text, mode_t mode) {
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The first directory above `canonical` that is neither root's nor ours, or shared without the sticky bit; "" if none.
std::string UnsafeAncestor(const fs::path& canonical) {
  for (fs::path path = canonical.parent_path();; path = path.parent_path()) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return path.string();
    const bool trusted_owner = info.st_uid == 0 || info.st_uid == ::geteuid();
    if (!trusted_owner || ((info.st_mode & 022) != 0 && (info.st_mode & S_ISVTX) == 0)) return path.string();
    if (path == path.root_path()) return "";
  }
}

// Expects `result` refused with InvalidArgument, its message containing each of `parts`.
template <typename T>
void ExpectRefused(const Result<T>& result, std::initializer_list<std::string> parts) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().ToString();
  for (const std::string& part : parts) {
    EXPECT_NE(result.status().message().find(part), std::string::npos) << result.status().ToString();
  }
}

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/private_dir_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    // The tests below need a trustworthy starting point; a temp dir under an unsafe parent cannot be one. Judged
    // here independently of CheckPrivateDir, so a CheckPrivateDir that wrongly refuses /tmp fails instead of skipping.
    base_ = fs::canonical(base_).string();
    if (const std::string unsafe = UnsafeAncestor(base_); !unsafe.empty()) {
      GTEST_SKIP() << "the temp directory " << base_ << " sits under " << unsafe << ", which others may change";
    }
    const Result<std::string> base_ok = CheckPrivateDir(base_);
    ASSERT_TRUE(base_ok.ok()) << base_ok.status().ToString();
    ASSERT_EQ(*base_ok, base_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }
  // Makes `path` another user's, or skips the test.
  void GiveToOtherUser(const std::string& path) {
    if (::lchown(path.c_str(), kOtherUid, kOtherUid) != 0) {
      GTEST_SKIP() << "cannot chown to uid 65534 to play another local user (needs root): " << std::strerror(errno);
    }
  }
  std::string Path(const std::string& name) const { return base_ + "/" + name; }
  std::string MakeDir(const std::string& name, mode_t mode) {
    const std::string path = Path(name);
    EXPECT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0) << path;
    return path;
  }

  std::string base_;
};

TEST_F(PrivateDirTest, MissingDirectoryAndParentsAreCreated0700WhateverTheUmask) {
  const mode_t old_umask = ::umask(0);  // a umask that would leave 0777 directories
  const Result<std::string> dir = EnsurePrivateDir(Path("a/b/cache/"));
  ::umask(old_umask);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, Path("a/b/cache"));
  EXPECT_EQ(ModeOf(Path("a")), 0700u);
  EXPECT_EQ(ModeOf(Path("a/b")), 0700u);
  EXPECT_EQ(ModeOf(Path("a/b/cache")), 0700u);
  // A second start finds it as it left it.
  EXPECT_TRUE(EnsurePrivateDir(Path("a/b/cache")).ok());
}

TEST_F(PrivateDirTest, OpenExistingDirectoryIsRefusedAndNeverChmodded) {
  for (const mode_t mode : {0755, 0750, 0705, 0701, 0770, 0777}) {
    SCOPED_TRACE(mode);
    const std::string dir = MakeDir("open" + std::to_string(mode), mode);
    ExpectRefused(EnsurePrivateDir(dir), {dir, "chmod 700 " + dir});
    EXPECT_EQ(ModeOf(dir), mode);  // refused, not "fixed" behind the operator's back
  }
  EXPECT_TRUE(EnsurePrivateDir(MakeDir("private", 0700)).ok());
}

TEST_F(PrivateDirTest, DirectoryOfAnotherUserIsRefused) {
  const std::string dir = MakeDir("theirs", 0700);
  GiveToOtherUser(dir);
  ExpectRefused(EnsurePrivateDir(dir), {dir, "uid 65534", "chown"});
}

TEST_F(PrivateDirTest, SymlinkToADirectoryIsRefused) {
  const std::string real = MakeDir("real", 0700);
  const std::string link = Path("link");
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  ExpectRefused(EnsurePrivateDir(link), {link, "symbolic link"});
  ExpectRefused(EnsurePrivateDir(link + "/"), {link, "symbolic link"});
  // A dangling link is not "missing": nothing is created through it.
  const std::string dangling = Path("dangling");
  ASSERT_EQ(::symlink(Path("nowhere").c_str(), dangling.c_str()), 0);
  ExpectRefused(EnsurePrivateDir(dangling), {"symbolic link"});
  EXPECT_FALSE(fs::exists(Path("nowhere")));
}

TEST_F(PrivateDirTest, ParentsMustBeRootsOrOursAndNotSharedWithoutStickyBit) {
  const std::string shared = MakeDir("shared", 0777);
  ASSERT_EQ(::mkdir((shared + "/cache").c_str(), 0700), 0);
  ExpectRefused(CheckPrivateDir(shared + "/cache"), {shared, "0777", "sticky", "chmod go-w " + shared});
  ASSERT_EQ(::chmod(shared.c_str(), 0775), 0);  // group-writable is no better
  ExpectRefused(CheckPrivateDir(shared + "/cache"), {shared, "0775"});
  // Sticky, like /tmp: only an entry's owner may rename it, so our directory in it is safe.
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  const Result<std::string> sticky = CheckPrivateDir(shared + "/cache");
  EXPECT_TRUE(sticky.ok()) << sticky.status().ToString();
  // An intermediate directory owned by someone else, however strict its mode, is refused: its owner can swap ours.
  const std::string foreign = MakeDir("foreign", 0755);
  ASSERT_EQ(::mkdir((foreign + "/cache").c_str(), 0700), 0);
  GiveToOtherUser(foreign);
  ExpectRefused(CheckPrivateDir(foreign + "/cache"), {foreign, "uid 65534"});
}

TEST_F(PrivateDirTest, LinksAboveAreResolvedAndTheRealParentsChecked) {
  MakeDir("real", 0700);
  ASSERT_EQ(::mkdir(Path("real/cache").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(Path("real").c_str(), Path("alias").c_str()), 0);
  const Result<std::string> dir = CheckPrivateDir(Path("alias/cache"));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(*dir, Path("real/cache"));  // the name to use from now on has no link in it
  ASSERT_EQ(::chmod(Path("real").c_str(), 0777), 0);
  ExpectRefused(CheckPrivateDir(Path("alias/cache")), {Path("real"), "sticky"});
}

TEST_F(PrivateDirTest, OpenPrivateFileRefusesWhatOthersCouldPlantOrRead) {
  const std::string good = Path("good");
  WriteText(good, "data", 0600);
  EXPECT_TRUE(OpenPrivateFile(good).ok());
  EXPECT_EQ(OpenPrivateFile(Path("missing")).status().code(), StatusCode::kNotFound);
  const std::string link = Path("link");
  ASSERT_EQ(::symlink(good.c_str(), link.c_str()), 0);
  ExpectRefused(OpenPrivateFile(link), {link, "symbolic link"});
  for (const mode_t mode : {0640, 0604, 0660, 0606}) {
    const std::string open_file = Path("open" + std::to_string(mode));
    WriteText(open_file, "data", mode);
    ExpectRefused(OpenPrivateFile(open_file), {open_file, "chmod 600"});
  }
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ::alarm(30);  // refused at once, not blocked waiting for a writer: a hang ends the test instead of the suite
  ExpectRefused(OpenPrivateFile(fifo), {fifo, "not a regular file"});
  ::alarm(0);
  ExpectRefused(OpenPrivateFile(base_), {"not a regular file"});
  const std::string theirs = Path("theirs");
  WriteText(theirs, "data", 0600);
  GiveToOtherUser(theirs);
  ExpectRefused(OpenPrivateFile(theirs), {theirs, "uid 65534"});
}

TEST_F(PrivateDirTest, TempFilesAreNew0600FilesUnderRandomNames) {
  const mode_t old_umask = ::umask(0);
  Result<PrivateTempFile> a = CreatePrivateTempFile(Path("state.bin"));
  Result<PrivateTempFile> b = CreatePrivateTempFile(Path("state.bin"));
  ::umask(old_umask);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->path, b->path);
  for (const std::string& path : {a->path, b->path}) {
    EXPECT_TRUE(path.starts_with(Path("state.bin.tmp-"))) << path;
    EXPECT_EQ(path.size(), Path("state.bin.tmp-").size() + kTempSuffixChars) << path;
    EXPECT_EQ(ModeOf(path), 0600u);
  }
  ASSERT_EQ(::write(a->fd.get(), "new", 3), 3);
  a->fd.Reset();
  // The final name holds a link to a file we must not touch: rename replaces the link, never writes through it.
  WriteText(Path("victim"), "precious", 0600);
  ASSERT_EQ(::symlink(Path("victim").c_str(), Path("state.bin").c_str()), 0);
  ASSERT_TRUE(ReplaceWithTempFile(a->path, Path("state.bin")).ok());
  EXPECT_EQ(ReadText(Path("victim")), "precious");
  EXPECT_EQ(ReadText(Path("state.bin")), "new");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(Path("state.bin"))));
  EXPECT_FALSE(fs::exists(a->path));
  // A failed rename leaves no temp file behind.
  EXPECT_FALSE(ReplaceWithTempFile(b->path, Path("no-such-dir/state.bin")).ok());
  EXPECT_FALSE(fs::exists(b->path));
}

TEST_F(PrivateDirTest, StaleTempFilesOfOursAreRemovedAndNothingElse) {
  const std::string prefix = "prefix-cache-";
  const std::string stale = Path("prefix-cache-0011223344556677.bin.tmp-abcdefghij01");
  WriteText(stale, "half", 0600);
  Result<PrivateTempFile> fresh = CreatePrivateTempFile(Path("prefix-cache-8899aabbccddeeff.bin"));
  ASSERT_TRUE(fresh.ok());
  const std::vector<std::string> kept = {Path("prefix-cache-0011223344556677.bin"),  // the cache itself
                                         Path("prefix-cache-0011223344556677.bin.tmp"),
                                         Path("prefix-cache-x.bin.tmp-abcdefghij0"),   // suffix too short
                                         Path("prefix-cache-x.bin.tmp-ABCDEFGHIJ01"),  // not our alphabet
                                         Path("other.bin.tmp-abcdefghij01")};          // another prefix
  for (const std::string& path : kept) WriteText(path, "keep", 0600);
  WriteText(Path("victim"), "precious", 0600);
  const std::string link = Path("prefix-cache-1.bin.tmp-abcdefghij02");
  ASSERT_EQ(::symlink(Path("victim").c_str(), link.c_str()), 0);
  ASSERT_EQ(::mkdir(Path("prefix-cache-2.bin.tmp-abcdefghij03").c_str(), 0700), 0);
  const Result<int> removed = RemoveStaleTempFiles(base_, prefix);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(fresh->path));
  for (const std::string& path : kept) EXPECT_TRUE(fs::exists(path)) << path;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(ReadText(Path("victim")), "precious");
  EXPECT_TRUE(fs::is_directory(Path("prefix-cache-2.bin.tmp-abcdefghij03")));
  // Another user's file of the same pattern is theirs to remove.
  const std::string theirs = Path("prefix-cache-3.bin.tmp-abcdefghij04");
  WriteText(theirs, "theirs", 0600);
  GiveToOtherUser(theirs);
  EXPECT_EQ(*RemoveStaleTempFiles(base_, prefix), 0);
  EXPECT_TRUE(fs::exists(theirs));
}

TEST_F(PrivateDirTest, SecretFileIsCreatedOnceAndChecked) {
  const std::string path = Path("secret");
  const Result<std::string> first = ReadOrCreateSecretFile(path, 32);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 32u);
  EXPECT_EQ(ModeOf(path), 0600u);
  const Result<std::string> again = ReadOrCreateSecretFile(path, 32);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);  // stable across restarts
  EXPECT_NE(*ReadOrCreateSecretFile(Path("other-secret"), 32), *first);
  for (const auto& entry : fs::directory_iterator(base_)) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  WriteText(Path("short"), "too short", 0600);
  ExpectRefused(ReadOrCreateSecretFile(Path("short"), 32), {Path("short"), "9 bytes"});
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ExpectRefused(ReadOrCreateSecretFile(path, 32), {path, "chmod 600"});
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  const std::string link = Path("linked-secret");
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  ExpectRefused(ReadOrCreateSecretFile(link, 32), {link, "symbolic link"});
  GiveToOtherUser(path);
  ExpectRefused(ReadOrCreateSecretFile(path, 32), {path, "uid 65534"});
}

}  // namespace
}  // namespace baleen
