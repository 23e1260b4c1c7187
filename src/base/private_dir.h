// Private on-disk state (the server's --cache-dir): a directory nobody but this user and root can change or read,
// and files in it created, replaced and opened without following anything another local user could plant.
// Base layer.
//
// The threat is a local user who owns or can write the directory, or one above it: with a predictable temp name
// or an existing world-readable file, they could have the server (perhaps root) overwrite any file through a
// symlink, or read cached prompts back. So directories are checked rather than trusted, and an existing one is never
// chmod'ed behind the operator's back: an unsafe one is refused with the command that fixes it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace baleen {

// Refuses `dir` unless it is a directory (not a symlink to one) owned by this process's effective uid with no
// group or other permission bits, and every directory above it (links resolved) is owned by root or the effective
// uid and is not writable by group or others unless sticky (like /tmp). Returns its canonical path, which callers
// use from then on so no symlink in the original spelling can be swapped later. InvalidArgument names the path,
// what is wrong and how to fix it; NotFound when `dir` does not exist.
Result<std::string> CheckPrivateDir(const std::string& dir);

// CheckPrivateDir, after creating `dir` and any missing parents with mode 0700 (umask can only take bits away)
// when it does not exist. An existing directory is checked as it is, never chmod'ed.
Result<std::string> EnsurePrivateDir(const std::string& dir);

// Opens an existing file for reading, refusing (InvalidArgument) a symlink, anything but a regular file, a file
// owned by another uid or one that group or others may read or write. NotFound when it does not exist. A FIFO
// planted at `path` cannot block the open.
Result<UniqueFd> OpenPrivateFile(const std::string& path);

struct PrivateTempFile {
  UniqueFd fd;       // open for writing
  std::string path;  // final_path + ".tmp-" + kTempSuffixChars random characters
};
constexpr size_t kTempSuffixChars = 12;

// A new, empty file beside `final_path` under a random name, created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600:
// whatever already sits at a name, link or file, is never opened. The final name itself is never opened for writing;
// ReplaceWithTempFile moves the finished file there.
Result<PrivateTempFile> CreatePrivateTempFile(const std::string& final_path);

// Renames the temp file (already written, fsync'ed and closed by the caller) over `final_path` and fsyncs the
// directory, so after a crash the final name holds the old file or the new one, whole. On failure the temp file is
// removed. rename replaces a symlink at `final_path` rather than following it.
Status ReplaceWithTempFile(const std::string& temp_path, const std::string& final_path);

// Removes what an interrupted save left in `dir`: regular files owned by the effective uid whose names start with
// `name_prefix` and end like CreatePrivateTempFile's (".tmp-" and kTempSuffixChars of its alphabet). Anything else,
// links included, is left alone. Returns how many were removed.
Result<int> RemoveStaleTempFiles(const std::string& dir, std::string_view name_prefix);

// The `n_bytes` secret kept in `path`: read if the file exists (checked like OpenPrivateFile, and refused unless it
// holds exactly n_bytes), otherwise random bytes written to a temp file and hard-linked into place. link() never
// replaces an existing name, so two servers starting at once end up with the same secret.
Result<std::string> ReadOrCreateSecretFile(const std::string& path, size_t n_bytes);

}  // namespace baleen
