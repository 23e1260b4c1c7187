// BpeModel: merge table, heap-driven merging, and the piece cache.
#include "text/tokenizer/bpe_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "text/tokenizer/byte_level.h"

namespace baleen {

// Open-addressing hash table from a (left id, right id) pair to its merge: rank and resulting id.
struct BpeModel::PairTable {
  struct Slot {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t merged_id = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  std::vector<Slot> slots;
  uint64_t mask = 0;

  explicit PairTable(size_t n) {
    size_t capacity = 16;
    while (capacity < n * 2) capacity *= 2;
    slots.resize(capacity);
    mask = capacity - 1;
  }
  static uint64_t Key(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  static uint64_t Hash(uint64_t key) {
    key ^= key >> 31;
    key *= 0x9E3779B97F4A7C15ull;
    return key ^ (key >> 29);
  }
  // A pair listed twice keeps its last rank, as the HashMap that Hugging Face collects the merges into does.
  void Insert(int32_t left, int32_t right, int32_t rank, int32_t merged_id) {
    const uint64_t key = Key(left, right);
    for (uint64_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key || slots[i].key == kEmpty) {
        slots[i] = {key, rank, merged_id};
        return;
      }
    }
  }
  const Slot* Find(int32_t left, int32_t right) const {
    const uint64_t key = Key(left, right);
    for (uint64_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == kEmpty) return nullptr;
    }
  }
};

// Results for short pieces: a direct-mapped table of fixed-size slots (a lookup is one hash and one cache line),
// sharded under mutexes so that concurrent encoders rarely wait on one another. A new piece overwrites its slot,
// so memory stays fixed (4 MiB) whatever the input.
struct BpeModel::Cache {
  static constexpr size_t kMaxPieceBytes = 22;
  static constexpr size_t kMaxIds = 8;
  static constexpr size_t kSlots = size_t{1} << 16;
  static constexpr size_t kShards = 64;
  struct Slot {
    uint64_t hash = 0;
    uint8_t n_bytes = 0;  // 0: empty
    uint8_t n_ids = 0;
    char bytes[kMaxPieceBytes];
    int32_t ids[kMaxIds];
  };
  static_assert(sizeof(Slot) == 64);
  std::vector<Slot> slots{kSlots};
  std::array<std::mutex, kShards> mutexes;

  static uint64_t Hash(std::string_view piece) {  // FNV-1a, then a final mix for the slot index
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : piece) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
    return h ^ (h >> 29);
  }
  std::mutex& MutexFor(uint64_t hash) { return mutexes[(hash >> 58) % kShards]; }
  Slot& SlotFor(uint64_t hash) { return slots[hash & (kSlots - 1)]; }
};

BpeModel::BpeModel() : pairs_(nullptr), cache_(std::make_unique<Cache>()) {}
BpeModel::~BpeModel() = default;

Result<std::unique_ptr<BpeModel>> BpeModel::Create(const BpeVocab& vocab, const std::vector<bool>& is_added) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->ignore_merges_ = vocab.ignore_merges;
  for (int32_t id = 0; id < static_cast<int32_t>(vocab.tokens.size()); ++id) {
    if (is_added[id] || vocab.tokens[id].empty()) continue;
    const std::optional<std::string> bytes = ByteLevelDecode(vocab.tokens[id]);
    // A token outside the byte-level alphabet stands for its own UTF-8 (HF's ByteLevel decoder does the same).
    model->bytes_to_id_.emplace(bytes ? *bytes : vocab.tokens[id], id);
  }
  const int32_t unk = vocab.unk_id.value_or(-1);
  for (int byte = 0; byte < 256; ++byte) {
    const int32_t id = model->Find(std::string(1, static_cast<char>(byte)));
    model->byte_to_id_[byte] = id >= 0 ? id : unk;
  }
  model->pairs_ = std::make_unique<PairTable>(vocab.merges.size());
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const auto& [left, right] = vocab.merges[rank];
    const std::optional<std::string> left_bytes = ByteLevelDecode(left), right_bytes = ByteLevelDecode(right);
    const std::string where = "merges[" + std::to_string(rank) + "] '" + left + " " + right + "'";
    if (!left_bytes || !right_bytes) return InvalidArgument(where + ": not in the byte-level alphabet");
    const int32_t left_id = model->Find(*left_bytes), right_id = model->Find(*right_bytes);
    const int32_t merged_id = model->Find(*left_bytes + *right_bytes);
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      return InvalidArgument(where + ": a part or the merged token is missing from the vocabulary");
    }
    model->pairs_->Insert(left_id, right_id, static_cast<int32_t>(rank), merged_id);
  }
  return model;
}

int32_t BpeModel::Find(std::string_view bytes) const {
  const auto it = bytes_to_id_.find(bytes);
  return it == bytes_to_id_.end() ? -1 : it->second;
}

void BpeModel::Encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  if (ignore_merges_) {
    const int32_t id = Find(piece);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (piece.size() == 1) {
    if (byte_to_id_[static_cast<uint8_t>(piece[0])] >= 0) out.push_back(byte_to_id_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  if (piece.size() > Cache::kMaxPieceBytes) {
    Merge(piece, out);
    return;
  }
  const uint64_t hash = Cache::Hash(piece);
  Cache::Slot& slot = cache_->SlotFor(hash);
  std::mutex& mutex = cache_->MutexFor(hash);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (slot.hash == hash && slot.n_bytes == piece.size() && std::memcmp(slot.bytes, piece.data(), piece.size()) == 0) {
      out.insert(out.end(), slot.ids, slot.ids + slot.n_ids);
      return;
    }
  }
  const size_t first = out.size();
  Merge(piece, out);
  const size_t n_ids = out.size() - first;
  if (n_ids > Cache::kMaxIds) return;
  std::lock_guard<std::mutex> lock(mutex);
  slot.hash = hash;
  slot.n_bytes = static_cast<uint8_t>(piece.size());
  slot.n_ids = static_cast<uint8_t>(n_ids);
  std::memcpy(slot.bytes, piece.data(), piece.size());
  std::copy(out.begin() + first, out.end(), slot.ids);
}

// Mirrors Word::merge_all in Hugging Face tokenizers (models/bpe/word.rs), without dropout.
void BpeModel::Merge(std::string_view piece, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;  // indices into `symbols`, -1 at the ends
    bool removed;
  };
  struct Candidate {
    int32_t rank, pos, merged_id;
    int32_t left_id, right_id;  // the pair when queued: a candidate is stale once either side has changed
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  // Scratch reused across calls on this thread: most pieces are short, and allocation would dominate.
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.clear();
  heap.clear();
  for (const char c : piece) {
    const int32_t id = byte_to_id_[static_cast<uint8_t>(c)];
    if (id < 0) continue;
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, false});
    if (index > 0) symbols[index - 1].next = index;
  }
  const auto consider = [&](int32_t pos) {
    const int32_t next = symbols[pos].next;
    if (next < 0) return;
    if (const PairTable::Slot* slot = pairs_->Find(symbols[pos].id, symbols[next].id)) {
      heap.push_back({slot->rank, pos, slot->merged_id, symbols[pos].id, symbols[next].id});
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (int32_t pos = 0; pos + 1 < static_cast<int32_t>(symbols.size()); ++pos) consider(pos);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[top.pos];
    if (left.removed || left.next < 0 || left.id != top.left_id || symbols[left.next].id != top.right_id) continue;
    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    right.removed = true;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (const Symbol& s : symbols) {
    if (!s.removed) out.push_back(s.id);
  }
}

}  // namespace baleen
