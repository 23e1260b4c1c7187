// `baleen serve`: the OpenAI-compatible server on one model. Tools layer: flags → ServeOptions → Serve.
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "base/private_dir.h"
#include "base/secure_random.h"
#include "server/server.h"

namespace baleen::cli {
namespace {

constexpr const char* kServeUsage =
    "usage: baleen serve [MODEL] [options]\n"
    "  --host H          address to listen on (default 127.0.0.1: this machine only)\n"
    "  --port P          port (default 8080; 0 picks a free one)\n"
    "  --api-key KEY     require this key (Authorization: Bearer KEY) on every endpoint but /health and the page;\n"
    "                    repeatable\n"
    "  --api-key-file F  keys, one per line (# comments and blank lines ignored)\n"
    "  --parallel N      generations that run at once, batched in one forward pass per step (default 4)\n"
    "  --kv-size TOKENS  positions in the shared paged KV cache (default: parallel × ctx, within a quarter of\n"
    "                    free memory and 8 GiB); the prefix cache keeps what running requests do not need\n"
    "  --cache-dir DIR   keep the prefix cache in DIR across restarts (checked against the model on load); DIR\n"
    "                    must be yours alone (mode 700, parents root's or yours): it is created so, never chmod'ed\n"
    "  --no-prefix-cache never reuse the KV cache of earlier requests\n"
    "  --queue N         requests that may wait for a slot (default 64); beyond it: 429 with Retry-After\n"
    "  --alias NAME      the model name clients see (default: the file name without .gguf)\n"
    "  --chat-format F   a built-in chat template instead of the file's\n"
    "  --max-body BYTES  largest request body (default 8 MiB); larger ones get 413\n"
    "  --log-content     also log prompts and completions (off: the log holds metadata only)\n"
    "  --no-thinking     answer without reasoning unless a request asks for it\n";

struct ServeArgs {
  ModelArgs model;
  ServeOptions serve;
  std::vector<std::string> key_files;
  std::string cache_dir;
};

constexpr const char* kCacheFilePrefix = "prefix-cache-";
constexpr const char* kTenantSecretFile = "tenant-secret";
constexpr size_t kTenantSecretBytes = 32;

// --cache-dir, before the model is loaded: checked (or created) private, what an interrupted save left removed, and
// the tenant secret read (or made) there, so a key's tenant id, and with it its cached prefixes, survive restarts.
// Without a cache dir the secret only has to live as long as the process.
Status PrepareCacheDir(ServeArgs& a) {
  ServerSettings& settings = a.serve.settings;
  if (a.cache_dir.empty() || !a.serve.scheduler.prefix_cache) {
    ASSIGN_OR_RETURN(settings.tenant_secret, SecureRandomString(kTenantSecretBytes));
    return Status::Ok();
  }
  Result<std::string> dir = EnsurePrivateDir(a.cache_dir);
  if (!dir.ok()) return dir.status().WithContext("--cache-dir");
  a.cache_dir = *dir;  // canonical: no link in it left to swap
  ASSIGN_OR_RETURN(const int removed, RemoveStaleTempFiles(a.cache_dir, kCacheFilePrefix));
  if (removed > 0) {
    std::fprintf(stderr, "baleen: removed %d unfinished prefix cache file(s) from %s\n", removed, a.cache_dir.c_str());
  }
  Result<std::string> secret = ReadOrCreateSecretFile(a.cache_dir + "/" + kTenantSecretFile, kTenantSecretBytes);
  if (!secret.ok()) return secret.status().WithContext("--cache-dir");
  settings.tenant_secret = std::move(*secret);
  return Status::Ok();
}

// The prefix cache's file for this model inside the prepared --cache-dir.
std::string PrefixCacheFile(const std::string& dir, const std::string& fingerprint) {
  return dir + "/" + kCacheFilePrefix + fingerprint.substr(0, 16) + ".bin";
}

Status ReadKeyFile(const std::string& path, std::vector<std::string>& keys) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    keys.push_back(line.substr(start));
  }
  if (keys.empty()) return InvalidArgument("--api-key-file " + path + " holds no keys");
  return Status::Ok();
}

int ParseServeArgs(const std::vector<std::string>& args, ServeArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string value, error;
    int64_t number = 0;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kServeUsage, stdout);
      std::fputs(kModelArgsHelp, stdout);
      return 0;
    }
    if (ParseModelArg(args, i, a.model, error)) {
      if (!error.empty()) return Usage(kServeUsage, error);
      continue;
    }
    if (arg == "--no-prefix-cache") {
      a.serve.scheduler.prefix_cache = false;
      continue;
    }
    if (arg == "--log-content" || arg == "--no-thinking") {
      (arg == "--log-content" ? a.serve.settings.log_content : a.serve.settings.default_thinking) =
          arg == "--log-content";
      continue;
    }
    if (arg.starts_with("-") && !TakeValue(args, i, value)) return Usage(kServeUsage, arg + " needs a value");
    const bool numeric =
        arg == "--port" || arg == "--parallel" || arg == "--queue" || arg == "--max-body" || arg == "--kv-size";
    if (numeric && (!ParseInt(value, number) || number < 0 || (arg != "--port" && number == 0) ||
                    (arg == "--port" && number > 65535))) {
      return Usage(kServeUsage, arg + " needs a " + (arg == "--port" ? "port number" : "positive number"));
    }
    if (arg == "--host") a.serve.http.host = value;
    else if (arg == "--port") a.serve.http.port = static_cast<uint16_t>(number);
    else if (arg == "--api-key") a.serve.settings.api_keys.push_back(value);
    else if (arg == "--api-key-file") a.key_files.push_back(value);
    else if (arg == "--parallel") a.serve.scheduler.n_slots = static_cast<int>(std::min<int64_t>(number, 256));
    else if (arg == "--queue") a.serve.scheduler.max_queue = static_cast<int>(std::min<int64_t>(number, 100000));
    else if (arg == "--max-body") a.serve.http.max_body_bytes = static_cast<size_t>(number);
    else if (arg == "--kv-size") a.serve.scheduler.kv_tokens = std::min<int64_t>(number, int64_t{1} << 30);
    else if (arg == "--cache-dir") a.cache_dir = value;
    else if (arg == "--alias") a.serve.settings.model_id = value;
    else if (arg == "--chat-format") a.serve.chat_format = value;
    else if (arg.starts_with("-")) return Usage(kServeUsage, "unknown option " + arg);
    else if (a.model.path.empty()) a.model.path = arg;
    else return Usage(kServeUsage, "one model only (got " + a.model.path + " and " + arg + ")");
  }
  if (const int code = UseDefaultModelIfNone(a.model.path); code >= 0) return code;
  for (const std::string& file : a.key_files) {
    if (Status s = ReadKeyFile(file, a.serve.settings.api_keys); !s.ok()) return Fail(s);
  }
  for (const std::string& key : a.serve.settings.api_keys) {
    if (key.empty()) return Usage(kServeUsage, "an API key must not be empty");
  }
  return -1;
}

}  // namespace

int RunServe(const std::vector<std::string>& args) {
  ServeArgs a;
  a.serve.scheduler.n_slots = 4;
  if (const int code = ParseServeArgs(args, a); code >= 0) return code;
  if (Status s = PrepareCacheDir(a); !s.ok()) return Fail(s);
  Result<std::unique_ptr<LoadedModel>> model = OpenForInference(a.model);
  if (!model.ok()) return Fail(model.status());
  LoadedModel& m = **model;
  SchedulerOptions& scheduler = a.serve.scheduler;
  // Each slot may fill the whole context (the cache commits memory as it fills). When the default context was
  // already cut to fit memory, the slots share it instead.
  scheduler.n_ctx = m.n_ctx;
  if (a.model.n_ctx == 0 && m.n_ctx_capped) scheduler.n_ctx = std::max<int64_t>(2048, m.n_ctx / scheduler.n_slots);
  scheduler.n_batch = a.model.n_batch;
  // The shared cache: room for every generation's whole context, but within the memory budget the default context
  // keeps to (the prefix cache holds on to blocks, so over time the whole pool becomes resident).
  if (scheduler.kv_tokens == 0) {
    const int64_t wanted = scheduler.n_slots * scheduler.n_ctx;
    scheduler.kv_tokens = std::min(wanted, std::max(scheduler.n_ctx, MemorySafeCacheTokens(m.model->cache_geometry())));
  }
  if (!a.cache_dir.empty() && scheduler.prefix_cache) {
    scheduler.fingerprint = ModelFingerprint(m);
    scheduler.cache_file = PrefixCacheFile(a.cache_dir, scheduler.fingerprint);
  }
  if (a.serve.settings.model_id.empty()) a.serve.settings.model_id = std::filesystem::path(a.model.path).stem().string();
  if (a.serve.settings.api_keys.empty() && a.serve.http.host != "127.0.0.1" && a.serve.http.host != "::1") {
    std::fprintf(stderr, "baleen: warning: listening on %s without --api-key: anyone who can reach it can use it\n",
                 a.serve.http.host.c_str());
  }
  const Status status = Serve(m, a.serve, [&](uint16_t port) {
    const std::string host = a.serve.http.host.find(':') != std::string::npos ? "[" + a.serve.http.host + "]"
                                                                               : a.serve.http.host;
    const int64_t kv = scheduler.kv_tokens;
    std::printf("baleen: serving %s at http://%s:%u/ (chat page; OpenAI API under /v1) · %d parallel × ctx %lld, "
                "KV cache %lld positions%s\n",
                a.serve.settings.model_id.c_str(), host.c_str(), port, scheduler.n_slots,
                static_cast<long long>(scheduler.n_ctx), static_cast<long long>(kv),
                scheduler.prefix_cache ? " with prefix cache" : "");
    std::fflush(stdout);
  });
  if (!status.ok()) return Fail(status);
  return 0;
}

}  // namespace baleen::cli
