// SecureRandomBytes: getrandom(2), falling back to /dev/urandom (kernels before 3.17, seccomp filters).
#include "base/secure_random.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace baleen {
namespace {

Status ReadUrandom(std::span<uint8_t> bytes) {
  const UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return IoError(std::string("/dev/urandom: ") + std::strerror(errno));
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("/dev/urandom: short read: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status SecureRandomBytes(std::span<uint8_t> bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::getrandom(bytes.data() + done, bytes.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == ENOSYS || errno == EPERM)) return ReadUrandom(bytes.subspan(done));
    if (n < 0) return IoError(std::string("getrandom: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> SecureRandomString(size_t n_bytes) {
  std::string text(n_bytes, '\0');
  RETURN_IF_ERROR(SecureRandomBytes({reinterpret_cast<uint8_t*>(text.data()), text.size()}));
  return text;
}

}  // namespace baleen
