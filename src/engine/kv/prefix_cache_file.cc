// PrefixCache's --cache-dir file: Save writes every cached block with its tenant and token path, hashed, to a fresh
// private temp file renamed into place; Load refuses a file another user could have planted or read, and checks the
// whole file before it changes anything. Engine layer.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/check.h"
#include "base/private_dir.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "engine/kv/prefix_cache.h"
#include "engine/kv/prefix_cache_node.h"

namespace baleen {

// --- Persistence ---
//
// File layout, little-endian:
//   "BALEENKV"  u32 version  str fingerprint  u32 block_tokens  u64 block_bytes
//   u32 n_tenants, str tenant × n_tenants
//   u64 n_entries, entry × n_entries: u32 tenant index, u64 parent entry (kNoParent under the root),
//                                     i32 tokens[block_tokens], u8 bytes[block_bytes]
//   SHA-256 of everything before it
// where str is u32 size + bytes. Entries run most recently used first, each after its parent, so a prefix of the list
// is always a set of whole paths. Parents are entry indices rather than repeated token paths: the file stays linear in
// the number of blocks, however long the prefixes.
namespace prefix_cache_internal {

constexpr char kMagic[8] = {'B', 'A', 'L', 'E', 'E', 'N', 'K', 'V'};
// 2: tenants are HMAC-SHA256 digests of API keys under the --cache-dir's secret. Version 1 held unkeyed SHA-256
// prefixes, which could be matched against guessed keys offline; such a file is refused (and so dropped at the next
// save) rather than carried forward with tenants no key maps to any more.
constexpr uint32_t kVersion = 2;
constexpr uint64_t kNoParent = ~uint64_t{0};
constexpr size_t kDigestBytes = 32;
constexpr uint64_t kEntryFixedBytes = 4 + 8;  // tenant index, parent

// Streams the file out, hashing everything it writes so the digest can close it.
class FileSink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}

  void Bytes(std::span<const uint8_t> bytes) {
    sha_.Update(bytes);
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) failed_ = true;
  }
  void U32(uint32_t value) { LittleEndian(value, 4); }
  void U64(uint64_t value) { LittleEndian(value, 8); }
  void String(std::string_view text) {
    CHECK(text.size() <= UINT32_MAX);
    U32(static_cast<uint32_t>(text.size()));
    Bytes({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
  void Tokens(std::span<const int32_t> tokens) {
    buffer_.clear();
    for (int32_t token : tokens) {
      for (int i = 0; i < 4; ++i) buffer_.push_back(static_cast<uint8_t>(static_cast<uint32_t>(token) >> (8 * i)));
    }
    Bytes(buffer_);
  }
  // The digest of everything written so far; not itself hashed.
  void Digest() {
    const std::array<uint8_t, 32> digest = sha_.Finish();
    if (std::fwrite(digest.data(), 1, digest.size(), file_) != digest.size()) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  void LittleEndian(uint64_t value, int n_bytes) {
    uint8_t bytes[8];
    for (int i = 0; i < n_bytes; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    Bytes({bytes, static_cast<size_t>(n_bytes)});
  }

  std::FILE* file_;
  Sha256 sha_;
  std::vector<uint8_t> buffer_;
  bool failed_ = false;
};

// A checked file, not yet applied: offsets into the caller's bytes, every count already bounded by the file size.
struct CacheFile {
  struct Entry {
    uint32_t tenant;
    uint64_t parent;        // an earlier entry of the same tenant, or kNoParent
    size_t tokens_offset;   // tokens, then the block's bytes
  };
  uint64_t block_tokens = 0;
  uint64_t block_bytes = 0;
  std::vector<std::string> tenants;
  std::vector<Entry> entries;
};

// Reads fields of a byte range; every read is bounds-checked and a failure names the field and the offset.
class FileReader {
 public:
  FileReader(std::span<const uint8_t> bytes, size_t offset, const std::string& source)
      : bytes_(bytes), offset_(offset), source_(source) {}

  size_t remaining() const { return bytes_.size() - offset_; }
  Status Error(const std::string& what) const {
    return DataLoss(source_ + ": " + what + " (at byte " + std::to_string(offset_) + ")");
  }
  Status U32(const char* field, uint32_t* value) { return LittleEndian(field, 4, value); }
  Status U64(const char* field, uint64_t* value) { return LittleEndian(field, 8, value); }
  // Skips `size_bytes` bytes and reports where they started.
  Status Skip(const char* field, uint64_t size_bytes, size_t* start) {
    if (size_bytes > remaining()) return Error(std::string("truncated ") + field);
    *start = offset_;
    offset_ += static_cast<size_t>(size_bytes);
    return Status::Ok();
  }
  Status String(const char* field, std::string* text) {
    uint32_t size_bytes = 0;
    size_t start = 0;
    RETURN_IF_ERROR(U32(field, &size_bytes));
    RETURN_IF_ERROR(Skip(field, size_bytes, &start));
    text->assign(reinterpret_cast<const char*>(bytes_.data() + start), size_bytes);
    return Status::Ok();
  }

 private:
  template <typename T>
  Status LittleEndian(const char* field, int n_bytes, T* value) {
    size_t start = 0;
    RETURN_IF_ERROR(Skip(field, static_cast<uint64_t>(n_bytes), &start));
    *value = 0;
    for (int i = 0; i < n_bytes; ++i) *value |= static_cast<T>(bytes_[start + i]) << (8 * i);
    return Status::Ok();
  }

  std::span<const uint8_t> bytes_;
  size_t offset_;
  const std::string& source_;
};

}  // namespace prefix_cache_internal

namespace {

using prefix_cache_internal::CacheFile;
using prefix_cache_internal::FileReader;
using prefix_cache_internal::FileSink;
using prefix_cache_internal::kDigestBytes;
using prefix_cache_internal::kNoParent;

// A fingerprint read from a file, fit for an error message: control bytes escaped, length capped.
std::string Printable(std::string_view text) {
  constexpr size_t kMaxChars = 200;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxChars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  if (text.size() > kMaxChars) out += "...";
  return out;
}

Status CheckDigest(std::span<const uint8_t> file, const std::string& source) {
  Sha256 sha;
  sha.Update(file.first(file.size() - kDigestBytes));
  const std::array<uint8_t, 32> digest = sha.Finish();
  if (!std::equal(digest.begin(), digest.end(), file.end() - kDigestBytes)) {
    return DataLoss(source + ": checksum mismatch (SHA-256 of the payload): the file is corrupt or truncated");
  }
  return Status::Ok();
}

Status ParseTenants(FileReader& reader, CacheFile& parsed) {
  uint32_t n_tenants = 0;
  RETURN_IF_ERROR(reader.U32("tenant count", &n_tenants));
  if (n_tenants > reader.remaining() / 4) {  // each needs at least its size field
    return reader.Error("claims " + std::to_string(n_tenants) + " tenants in " + std::to_string(reader.remaining()) +
                        " bytes");
  }
  parsed.tenants.resize(n_tenants);
  for (std::string& tenant : parsed.tenants) RETURN_IF_ERROR(reader.String("tenant", &tenant));
  return Status::Ok();
}

Status ParseEntries(FileReader& reader, CacheFile& parsed) {
  uint64_t n_entries = 0;
  RETURN_IF_ERROR(reader.U64("entry count", &n_entries));
  // block_tokens < 2^32 and block_bytes <= the file size, so the sum cannot overflow.
  const uint64_t entry_bytes = prefix_cache_internal::kEntryFixedBytes + 4 * parsed.block_tokens + parsed.block_bytes;
  if (n_entries != reader.remaining() / entry_bytes || reader.remaining() % entry_bytes != 0) {
    return reader.Error("claims " + std::to_string(n_entries) + " entries of " + std::to_string(entry_bytes) +
                        " bytes, but " + std::to_string(reader.remaining()) + " bytes remain");
  }
  parsed.entries.resize(n_entries);  // bounded by the file size, checked just above
  for (uint64_t i = 0; i < n_entries; ++i) {
    CacheFile::Entry& entry = parsed.entries[i];
    RETURN_IF_ERROR(reader.U32("entry tenant", &entry.tenant));
    RETURN_IF_ERROR(reader.U64("entry parent", &entry.parent));
    RETURN_IF_ERROR(reader.Skip("entry", entry_bytes - prefix_cache_internal::kEntryFixedBytes, &entry.tokens_offset));
    const std::string name = "entry " + std::to_string(i);
    if (entry.tenant >= parsed.tenants.size()) {
      return reader.Error(name + ": tenant index " + std::to_string(entry.tenant) + " of " +
                          std::to_string(parsed.tenants.size()));
    }
    if (entry.parent != kNoParent &&
        (entry.parent >= i || parsed.entries[entry.parent].tenant != entry.tenant)) {
      return reader.Error(name + ": parent " + std::to_string(entry.parent) +
                          " is not an earlier entry of the same tenant");
    }
  }
  return Status::Ok();
}

Result<CacheFile> ParseCacheFile(std::span<const uint8_t> file, const std::string& source,
                                 const std::string& fingerprint, int64_t block_tokens, int64_t expected_block_bytes) {
  constexpr size_t kMinBytes = sizeof prefix_cache_internal::kMagic + 4 + kDigestBytes;
  if (file.size() < kMinBytes) {
    return DataLoss(source + ": " + std::to_string(file.size()) + " bytes is too short for a prefix cache file");
  }
  if (std::memcmp(file.data(), prefix_cache_internal::kMagic, sizeof prefix_cache_internal::kMagic) != 0) {
    return DataLoss(source + ": not a Baleen prefix cache file (bad magic)");
  }
  RETURN_IF_ERROR(CheckDigest(file, source));  // before reading any field: a flipped bit stops here
  FileReader reader(file.first(file.size() - kDigestBytes), sizeof prefix_cache_internal::kMagic, source);
  uint32_t version = 0;
  std::string file_fingerprint;
  uint32_t file_block_tokens = 0;
  CacheFile parsed;
  RETURN_IF_ERROR(reader.U32("version", &version));
  if (version != prefix_cache_internal::kVersion) {
    return Unimplemented(source + ": prefix cache file version " + std::to_string(version) + ", this build reads " +
                         std::to_string(prefix_cache_internal::kVersion));
  }
  RETURN_IF_ERROR(reader.String("fingerprint", &file_fingerprint));
  if (file_fingerprint != fingerprint) {
    return InvalidArgument(source + ": written for model and KV layout '" + Printable(file_fingerprint) +
                           "', but this one is '" + Printable(fingerprint) + "'");
  }
  RETURN_IF_ERROR(reader.U32("block_tokens", &file_block_tokens));
  if (file_block_tokens != block_tokens) {
    return InvalidArgument(source + ": blocks of " + std::to_string(file_block_tokens) + " tokens, this cache uses " +
                           std::to_string(block_tokens));
  }
  parsed.block_tokens = file_block_tokens;
  RETURN_IF_ERROR(reader.U64("block_bytes", &parsed.block_bytes));
  if (parsed.block_bytes > file.size()) {  // keeps the entry size below from overflowing
    return reader.Error("block_bytes " + std::to_string(parsed.block_bytes) + " exceeds the file size");
  }
  RETURN_IF_ERROR(ParseTenants(reader, parsed));
  RETURN_IF_ERROR(ParseEntries(reader, parsed));
  // An empty cache is saved with block_bytes 0: it loads anywhere the fingerprint matches.
  if (!parsed.entries.empty() && expected_block_bytes >= 0 &&
      parsed.block_bytes != static_cast<uint64_t>(expected_block_bytes)) {
    return InvalidArgument(source + ": blocks of " + std::to_string(parsed.block_bytes) + " bytes, the KV pool's are " +
                           std::to_string(expected_block_bytes));
  }
  return parsed;
}

void DecodeTokens(std::span<const uint8_t> bytes, std::vector<int32_t>& tokens) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint32_t value = 0;
    for (int b = 0; b < 4; ++b) value |= static_cast<uint32_t>(bytes[4 * i + b]) << (8 * b);
    tokens[i] = static_cast<int32_t>(value);
  }
}

// fflush + fsync + fclose: the bytes are on disk before the rename makes them the cache file.
Status CloseDurably(std::FILE* file, const std::string& path, bool write_failed) {
  int error = write_failed ? EIO : 0;
  if (error == 0 && std::fflush(file) != 0) error = errno;
  if (error == 0 && ::fsync(::fileno(file)) != 0) error = errno;
  if (std::fclose(file) != 0 && error == 0) error = errno;
  if (error != 0) return IoError(path + ": cannot write: " + std::strerror(error));
  return Status::Ok();
}

// A read-only mapping of an already checked file descriptor (MappedFile opens by name, which would reopen whatever
// sits at the name by then).
class FileMapping {
 public:
  static Result<FileMapping> Map(int fd, const std::string& path) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) return IoError(path + ": " + std::strerror(errno));
    FileMapping mapping;
    mapping.size_ = static_cast<size_t>(info.st_size);
    if (mapping.size_ == 0) return mapping;  // mmap refuses empty ranges; the parser reports the file too short
    void* data = ::mmap(nullptr, mapping.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) return IoError(path + ": cannot map: " + std::strerror(errno));
    mapping.data_ = static_cast<const uint8_t*>(data);
    return mapping;
  }
  FileMapping(FileMapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  FileMapping& operator=(FileMapping&&) = delete;
  ~FileMapping() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  std::span<const uint8_t> bytes() const { return {data_, data_ == nullptr ? 0 : size_}; }

 private:
  FileMapping() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

std::vector<PrefixCache::SaveEntry> PrefixCache::NodesForSave() const {
  std::vector<SaveEntry> entries;
  entries.reserve(static_cast<size_t>(n_nodes_));
  std::vector<const Node*> pending;
  uint32_t tenant = 0;
  for (const auto& [name, root] : roots_) {
    pending.push_back(root.get());
    while (!pending.empty()) {
      const Node* node = pending.back();
      pending.pop_back();
      if (node->parent != nullptr) entries.push_back({node, tenant});
      for (const auto& [hash, child] : node->children) pending.push_back(child.get());
    }
    ++tenant;
  }
  // Most recent first; a parent is never older than its children and sorts before them on a tie (smaller depth).
  std::sort(entries.begin(), entries.end(), [](const SaveEntry& a, const SaveEntry& b) {
    if (a.node->tick != b.node->tick) return a.node->tick > b.node->tick;
    if (a.node->depth != b.node->depth) return a.node->depth < b.node->depth;
    return a.node->serial < b.node->serial;
  });
  return entries;
}

Status PrefixCache::WriteFile(FileSink& sink, const std::string& fingerprint,
                              const std::function<std::span<const std::byte>(int32_t)>& block_bytes) const {
  const std::vector<SaveEntry> entries = NodesForSave();
  const uint64_t size_bytes = entries.empty() ? 0 : block_bytes(entries.front().node->block).size();
  sink.Bytes({reinterpret_cast<const uint8_t*>(prefix_cache_internal::kMagic), sizeof prefix_cache_internal::kMagic});
  sink.U32(prefix_cache_internal::kVersion);
  sink.String(fingerprint);
  sink.U32(static_cast<uint32_t>(block_tokens_));
  sink.U64(size_bytes);
  sink.U32(static_cast<uint32_t>(roots_.size()));
  for (const auto& [tenant, root] : roots_) sink.String(tenant);
  sink.U64(entries.size());
  std::unordered_map<const Node*, uint64_t> index_of;
  index_of.reserve(entries.size());
  for (uint64_t i = 0; i < entries.size() && !sink.failed(); ++i) {
    const Node* node = entries[i].node;
    const std::span<const std::byte> bytes = block_bytes(node->block);
    if (bytes.size() != size_bytes) {
      return Internal("prefix cache: block " + std::to_string(node->block) + " has " + std::to_string(bytes.size()) +
                      " bytes of KV, others " + std::to_string(size_bytes));
    }
    sink.U32(entries[i].tenant);
    uint64_t parent = kNoParent;
    if (node->parent->parent != nullptr) {
      const auto it = index_of.find(node->parent);
      CHECK(it != index_of.end());  // NodesForSave puts parents first
      parent = it->second;
    }
    sink.U64(parent);
    sink.Tokens(node->tokens);
    sink.Bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    index_of.emplace(node, i);
  }
  sink.Digest();
  return Status::Ok();
}

Status PrefixCache::Save(const std::string& path, const std::string& fingerprint,
                         const std::function<std::span<const std::byte>(int32_t)>& block_bytes) const {
  // A new file under a random name, mode 0600 (the blocks are derived from users' prompts), created with O_EXCL and
  // O_NOFOLLOW: a link or file planted at a predictable name is never written through.
  ASSIGN_OR_RETURN(PrivateTempFile temp, CreatePrivateTempFile(path));
  std::FILE* file = ::fdopen(temp.fd.get(), "wb");
  if (file == nullptr) {
    const Status status = IoError(temp.path + ": " + std::strerror(errno));
    ::unlink(temp.path.c_str());
    return status;
  }
  temp.fd.Release();  // fclose closes it now
  FileSink sink(file);
  Status status = WriteFile(sink, fingerprint, block_bytes);
  const Status closed = CloseDurably(file, temp.path, sink.failed());
  if (status.ok()) status = closed;
  if (!status.ok()) {
    ::unlink(temp.path.c_str());  // a half-written file is never left to be mistaken for a cache
    return status;
  }
  return ReplaceWithTempFile(temp.path, path);
}

Result<int64_t> PrefixCache::Load(const std::string& path, const std::string& fingerprint,
                                  const std::function<void(int32_t, std::span<const std::byte>)>& write_block,
                                  int64_t expected_block_bytes) {
  // Only a regular file of ours that nobody else could read or write: one planted by another user (or readable by
  // them) is refused, not trusted, and the next Save replaces it.
  Result<UniqueFd> fd = OpenPrivateFile(path);
  if (!fd.ok() && fd.status().code() == StatusCode::kNotFound) return NotFound(path + ": no prefix cache file");
  if (!fd.ok()) return fd.status().WithContext("prefix cache file refused");
  ASSIGN_OR_RETURN(FileMapping mapping, FileMapping::Map(fd->get(), path));
  return LoadBytes(mapping.bytes(), path, fingerprint, write_block, expected_block_bytes);
}

Result<int64_t> PrefixCache::LoadBytes(std::span<const uint8_t> file, const std::string& source,
                                       const std::string& fingerprint,
                                       const std::function<void(int32_t, std::span<const std::byte>)>& write_block,
                                       int64_t expected_block_bytes) {
  ASSIGN_OR_RETURN(CacheFile parsed, ParseCacheFile(file, source, fingerprint, block_tokens_, expected_block_bytes));
  return ApplyFile(parsed, file, write_block);
}

int64_t PrefixCache::ApplyFile(const CacheFile& parsed, std::span<const uint8_t> file,
                               const std::function<void(int32_t, std::span<const std::byte>)>& write_block) {
  const size_t n_entries = parsed.entries.size();
  const size_t token_bytes = 4 * static_cast<size_t>(block_tokens_);
  std::vector<Node*> node_of_entry(n_entries, nullptr);
  std::vector<int32_t> tokens(static_cast<size_t>(block_tokens_));
  const uint64_t base_tick = tick_;
  tick_ += n_entries;
  int64_t restored = 0;
  for (size_t i = 0; i < n_entries; ++i) {
    const CacheFile::Entry& entry = parsed.entries[i];
    const std::string& tenant = parsed.tenants[entry.tenant];
    DecodeTokens(file.subspan(entry.tokens_offset, token_bytes), tokens);
    const uint64_t hash = HashTokens(tokens);
    const uint64_t tick = base_tick + (n_entries - i);  // the file lists the most recently used first
    Node* parent = entry.parent == kNoParent ? FindRoot(tenant) : node_of_entry[entry.parent];
    CHECK(entry.parent == kNoParent || parent != nullptr);  // the loop stops at the first entry it cannot restore
    if (Node* existing = parent == nullptr ? nullptr : FindChild(parent, tokens, hash)) {
      node_of_entry[i] = existing;  // already cached (or listed twice): keep the block we have
      TouchPath(existing, tick);
      continue;
    }
    const std::optional<int32_t> block = allocator_.Allocate();
    if (!block) break;  // the pool is smaller than the file: what came before is whole paths, the hottest ones
    write_block(*block, std::as_bytes(file.subspan(entry.tokens_offset + token_bytes, parsed.block_bytes)));
    if (parent == nullptr) parent = GetOrCreateRoot(tenant);
    node_of_entry[i] = AddChild(parent, tokens, hash, *block, tick);
    ++restored;
  }
  inserted_blocks_ += restored;
  return restored;
}

}  // namespace baleen
