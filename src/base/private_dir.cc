// Private on-disk state: the directory checks, and files created with O_EXCL|O_NOFOLLOW under random names and
// renamed into place. Base layer; see private_dir.h for the threat this answers.
#include "base/private_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/secure_random.h"

namespace baleen {
namespace {

constexpr char kTempMarker[] = ".tmp-";
constexpr std::string_view kTempAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr int kTempNameTries = 16;

std::string ErrnoText(const std::string& path, int error) { return path + ": " + std::strerror(error); }

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string Uid(uid_t uid) { return std::to_string(static_cast<unsigned long>(uid)); }

// "dir/" names the same directory as "dir", but lstat("link/") follows the link: strip the slashes first.
std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// The directory holding `path` ("." for a bare name).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<std::string> Canonical(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
  if (resolved == nullptr) return IoError(ErrnoText(path, errno));
  return std::string(resolved.get());
}

// The directory itself must be ours alone: anyone else who can list, read or write it could see which models were
// cached, read files we create by mistake with wider modes, or swap files under us.
Status CheckOwnDir(const std::string& dir, const struct stat& info) {
  const uid_t me = ::geteuid();
  if (!S_ISDIR(info.st_mode)) return InvalidArgument(dir + " is not a directory");
  if (info.st_uid != me) {
    return InvalidArgument(dir + " is owned by uid " + Uid(info.st_uid) + ", not this server's uid " + Uid(me) +
                           ": its owner could read or replace what is kept there; use a directory of your own " +
                           "(or `chown " + Uid(me) + " " + dir + "` if it should be yours)");
  }
  if ((info.st_mode & 077) != 0) {
    return InvalidArgument(dir + " has mode " + Octal(info.st_mode) +
                           ": group or others have access to state derived from prompts; run `chmod 700 " + dir +
                           "` (it is never changed for you)");
  }
  return Status::Ok();
}

// A directory above: whoever can rename its entries could put a directory of theirs where ours was. Root's and our
// own are trusted, and a shared one only if sticky (like /tmp: there only an entry's owner may rename it).
Status CheckAncestor(const std::string& path, const struct stat& info, const std::string& dir) {
  const uid_t me = ::geteuid();
  if (info.st_uid != 0 && info.st_uid != me) {
    return InvalidArgument(path + " (above " + dir + ") is owned by uid " + Uid(info.st_uid) +
                           ", neither root nor this server's uid " + Uid(me) + ", who could replace " + dir +
                           ": choose a directory whose parents all belong to root or to you");
  }
  if ((info.st_mode & 022) != 0 && (info.st_mode & S_ISVTX) == 0) {
    return InvalidArgument(path + " (above " + dir + ") has mode " + Octal(info.st_mode) +
                           ": writable by group or others without the sticky bit, so they could replace " + dir +
                           "; run `chmod go-w " + path + "` or choose another directory");
  }
  return Status::Ok();
}

Status CheckAncestors(const std::string& canonical, const std::string& dir) {
  for (std::string path = DirectoryOf(canonical);; path = DirectoryOf(path)) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return IoError(ErrnoText(path, errno));
    RETURN_IF_ERROR(CheckAncestor(path, info, dir));
    if (path == "/") return Status::Ok();
  }
}

// mkdir for `path` and each missing directory above it, mode 0700: the umask can only remove bits from that, so no
// directory we create is ever briefly open to others.
Status MakeDirectories(const std::string& path) {
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return InvalidArgument("cannot create " + ErrnoText(prefix, errno));
    }
    if (end == std::string::npos) return Status::Ok();
  }
}

Status CheckPrivateFile(const std::string& path, const struct stat& info) {
  const uid_t me = ::geteuid();
  if (!S_ISREG(info.st_mode)) return InvalidArgument(path + " is not a regular file; remove it");
  if (info.st_uid != me) {
    return InvalidArgument(path + " is owned by uid " + Uid(info.st_uid) + ", not this server's uid " + Uid(me) +
                           ": someone else put it there; remove it");
  }
  if ((info.st_mode & 077) != 0) {
    return InvalidArgument(path + " has mode " + Octal(info.st_mode) +
                           ": group or others may read or write it; remove it, or `chmod 600 " + path +
                           "` if you know it is intact");
  }
  return Status::Ok();
}

// After a rename or link, the directory entry itself must reach the disk, or a crash can bring back the old state.
Status SyncDirectoryOf(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open directory " + ErrnoText(dir, errno));
  if (::fsync(fd.get()) != 0) return IoError("cannot sync directory " + ErrnoText(dir, errno));
  return Status::Ok();
}

Result<std::string> RandomTempSuffix() {
  ASSIGN_OR_RETURN(std::string random, SecureRandomString(kTempSuffixChars));
  for (char& c : random) c = kTempAlphabet[static_cast<unsigned char>(c) % kTempAlphabet.size()];
  return random;
}

bool IsTempName(std::string_view name, std::string_view name_prefix) {
  const size_t tail = sizeof kTempMarker - 1 + kTempSuffixChars;
  if (!name.starts_with(name_prefix) || name.size() < name_prefix.size() + tail) return false;
  const std::string_view marker_and_suffix = name.substr(name.size() - tail);
  if (!marker_and_suffix.starts_with(kTempMarker)) return false;
  return marker_and_suffix.substr(sizeof kTempMarker - 1).find_first_not_of(kTempAlphabet) == std::string_view::npos;
}

Status WriteAllAndSync(int fd, std::string_view bytes, const std::string& path) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write " + ErrnoText(path, errno));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return IoError("cannot sync " + ErrnoText(path, errno));
  return Status::Ok();
}

Result<std::string> ReadSecretFile(const std::string& path, size_t n_bytes) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenPrivateFile(path));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return IoError(ErrnoText(path, errno));
  if (info.st_size < 0 || static_cast<size_t>(info.st_size) != n_bytes) {
    return InvalidArgument(path + " holds " + std::to_string(info.st_size) + " bytes, not a secret of " +
                           std::to_string(n_bytes) + "; remove it to have a new one made");
  }
  std::string secret(n_bytes, '\0');
  for (size_t done = 0; done < n_bytes;) {
    const ssize_t n = ::read(fd.get(), secret.data() + done, n_bytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot read " + ErrnoText(path, n == 0 ? EIO : errno));
    done += static_cast<size_t>(n);
  }
  return secret;
}

Status CreateSecretFile(const std::string& path, size_t n_bytes) {
  ASSIGN_OR_RETURN(std::string secret, SecureRandomString(n_bytes));
  ASSIGN_OR_RETURN(PrivateTempFile temp, CreatePrivateTempFile(path));
  Status status = WriteAllAndSync(temp.fd.get(), secret, temp.path);
  temp.fd.Reset();
  // EEXIST: another server starting on the same directory won the race; its secret is the one to use.
  if (status.ok() && ::link(temp.path.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    status = IoError("cannot create " + ErrnoText(path, errno));
  }
  ::unlink(temp.path.c_str());
  RETURN_IF_ERROR(status);
  return SyncDirectoryOf(path);
}

}  // namespace

Result<std::string> CheckPrivateDir(const std::string& dir) {
  const std::string given = WithoutTrailingSlashes(dir);
  struct stat info {};
  if (::lstat(given.c_str(), &info) != 0) {
    if (errno == ENOENT) return NotFound(given + " does not exist");
    return IoError(ErrnoText(given, errno));
  }
  if (S_ISLNK(info.st_mode)) {
    return InvalidArgument(given + " is a symbolic link: name the directory itself (whoever can change the link "
                                   "decides where the files go)");
  }
  ASSIGN_OR_RETURN(std::string canonical, Canonical(given));
  // Checked again under the name we return: realpath ran after the lstat above.
  if (::lstat(canonical.c_str(), &info) != 0) return IoError(ErrnoText(canonical, errno));
  RETURN_IF_ERROR(CheckOwnDir(given, info));
  RETURN_IF_ERROR(CheckAncestors(canonical, given));
  return canonical;
}

Result<std::string> EnsurePrivateDir(const std::string& dir) {
  const std::string given = WithoutTrailingSlashes(dir);
  struct stat info {};
  if (::lstat(given.c_str(), &info) != 0) {
    if (errno != ENOENT) return IoError(ErrnoText(given, errno));
    RETURN_IF_ERROR(MakeDirectories(given));
  }
  return CheckPrivateDir(given);
}

Result<UniqueFd> OpenPrivateFile(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the name would otherwise block the open until someone writes to it.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(path + ": no such file");
    if (errno == ELOOP) return InvalidArgument(path + " is a symbolic link; it is never followed: remove it");
    return IoError(ErrnoText(path, errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return IoError(ErrnoText(path, errno));
  RETURN_IF_ERROR(CheckPrivateFile(path, info));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) return IoError(ErrnoText(path, errno));
  return fd;
}

Result<PrivateTempFile> CreatePrivateTempFile(const std::string& final_path) {
  for (int attempt = 0; attempt < kTempNameTries; ++attempt) {
    ASSIGN_OR_RETURN(std::string suffix, RandomTempSuffix());
    std::string path = final_path + kTempMarker + suffix;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600));
    if (fd.valid()) return PrivateTempFile{std::move(fd), std::move(path)};
    if (errno != EEXIST) return IoError("cannot create " + ErrnoText(path, errno));
  }
  return IoError(final_path + ": every random temp name tried was taken");
}

Status ReplaceWithTempFile(const std::string& temp_path, const std::string& final_path) {
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp_path.c_str());  // a half-finished file is never left to be mistaken for the real one
    return IoError(temp_path + ": cannot rename to " + final_path + ": " + std::strerror(error));
  }
  return SyncDirectoryOf(final_path);
}

Result<int> RemoveStaleTempFiles(const std::string& dir, std::string_view name_prefix) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd.valid()) return IoError("cannot open directory " + ErrnoText(dir, errno));
  struct CloseDir {
    void operator()(DIR* stream) const { ::closedir(stream); }
  };
  std::unique_ptr<DIR, CloseDir> stream(::fdopendir(dir_fd.get()));
  if (stream == nullptr) return IoError("cannot list " + ErrnoText(dir, errno));
  const int fd = dir_fd.Release();  // closedir closes it now
  const uid_t me = ::geteuid();
  int removed = 0;
  while (const dirent* entry = ::readdir(stream.get())) {
    if (!IsTempName(entry->d_name, name_prefix)) continue;
    struct stat info {};
    if (::fstatat(fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(info.st_mode) || info.st_uid != me) continue;
    if (::unlinkat(fd, entry->d_name, 0) == 0) ++removed;
  }
  return removed;
}

Result<std::string> ReadOrCreateSecretFile(const std::string& path, size_t n_bytes) {
  Result<std::string> existing = ReadSecretFile(path, n_bytes);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  RETURN_IF_ERROR(CreateSecretFile(path, n_bytes));
  return ReadSecretFile(path, n_bytes);
}

}  // namespace baleen
