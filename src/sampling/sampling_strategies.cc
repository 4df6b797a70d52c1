#include "sampling/sampling_strategies.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/json_escape.h"

namespace tracery::sampling {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Status FieldError(const std::string& where, const std::string& what) {
  return Status::InvalidArgument("sampling strategies: " + where + ": " + what);
}

Result<double> ReadNumber(element e, const std::string& where) {
  double d;
  if (e.is_double()) {
    d = e.get_double().value_unsafe();
  } else if (e.is_int64()) {
    d = static_cast<double>(e.get_int64().value_unsafe());
  } else if (e.is_uint64()) {
    d = static_cast<double>(e.get_uint64().value_unsafe());
  } else {
    return FieldError(where, "expected a number");
  }
  if (!std::isfinite(d)) return FieldError(where, "expected a finite number");
  return d;
}

Result<std::string> ReadString(element e, const std::string& where) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return FieldError(where, "expected a string");
  return std::string(s);
}

Status ReadOperations(element arr_el, const std::string& where, std::vector<OperationStrategy>* out) {
  simdjson::dom::array arr;
  if (arr_el.get_array().get(arr) != simdjson::SUCCESS) return FieldError(where, "expected an array");
  size_t i = 0;
  for (element op_el : arr) {
    std::string w = where + "[" + std::to_string(i++) + "]";
    object op;
    if (op_el.get_object().get(op) != simdjson::SUCCESS) return FieldError(w, "expected an object");
    OperationStrategy s;
    element f;
    if (op["operation"].get(f) != simdjson::SUCCESS) return FieldError(w, "missing \"operation\"");
    auto name = ReadString(f, w + ".operation");
    if (!name.ok()) return name.status();
    s.operation = std::move(*name);
    if (op["type"].get(f) == simdjson::SUCCESS) {
      auto type = ReadString(f, w + ".type");
      if (!type.ok()) return type.status();
      if (*type != "probabilistic")
        return FieldError(w + ".type", "operation strategies must be \"probabilistic\", got \"" + *type + "\"");
    }
    if (op["param"].get(f) != simdjson::SUCCESS) return FieldError(w, "missing \"param\"");
    auto p = ReadNumber(f, w + ".param");
    if (!p.ok()) return p.status();
    if (*p < 0 || *p > 1) return FieldError(w + ".param", "probability " + std::to_string(*p) + " is outside [0, 1]");
    s.probability = *p;
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// Reads type/param/operation_strategies of a service or default strategy.
Status ReadStrategy(object obj, const std::string& where, ServiceStrategy* out) {
  element f;
  std::string type = "probabilistic";
  if (obj["type"].get(f) == simdjson::SUCCESS) {
    auto t = ReadString(f, where + ".type");
    if (!t.ok()) return t.status();
    type = std::move(*t);
  }
  double param = 0;
  bool has_param = obj["param"].get(f) == simdjson::SUCCESS;
  if (has_param) {
    auto p = ReadNumber(f, where + ".param");
    if (!p.ok()) return p.status();
    param = *p;
  }
  if (type == "probabilistic") {
    out->type = ServiceStrategy::Type::kProbabilistic;
    if (has_param) {
      if (param < 0 || param > 1)
        return FieldError(where + ".param", "probability " + std::to_string(param) + " is outside [0, 1]");
      out->probability = param;
    }
  } else if (type == "ratelimiting") {
    out->type = ServiceStrategy::Type::kRateLimiting;
    if (!has_param) return FieldError(where, "\"ratelimiting\" needs \"param\" (traces per second)");
    if (param < 0) return FieldError(where + ".param", "traces per second must be >= 0");
    out->max_traces_per_second = param;
  } else {
    return FieldError(where + ".type", "expected \"probabilistic\" or \"ratelimiting\", got \"" + type + "\"");
  }
  if (obj["operation_strategies"].get(f) == simdjson::SUCCESS) {
    TRACERY_RETURN_IF_ERROR(ReadOperations(f, where + ".operation_strategies", &out->operations));
  }
  return Status::Ok();
}

void AppendDouble(std::string* out, double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  *out += buf;
}

}  // namespace

const ServiceStrategy& StrategiesConfig::For(std::string_view service) const {
  auto it = services.find(std::string(service));
  return it == services.end() ? default_strategy : it->second;
}

Result<StrategiesConfig> ParseStrategiesJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS)
    return Status::InvalidArgument(std::string("sampling strategies: not valid JSON: ") + simdjson::error_message(err));
  object top;
  if (root.get_object().get(top) != simdjson::SUCCESS)
    return Status::InvalidArgument("sampling strategies: the top level must be a JSON object");

  StrategiesConfig cfg;
  element f;
  double lower_bound = cfg.default_strategy.lower_bound_traces_per_second;
  if (top["default_lower_bound_traces_per_second"].get(f) == simdjson::SUCCESS) {
    auto lb = ReadNumber(f, "default_lower_bound_traces_per_second");
    if (!lb.ok()) return lb.status();
    if (*lb < 0) return FieldError("default_lower_bound_traces_per_second", "must be >= 0");
    lower_bound = *lb;
  }
  cfg.default_strategy.lower_bound_traces_per_second = lower_bound;
  if (top["default_strategy"].get(f) == simdjson::SUCCESS) {
    object d;
    if (f.get_object().get(d) != simdjson::SUCCESS) return FieldError("default_strategy", "expected an object");
    TRACERY_RETURN_IF_ERROR(ReadStrategy(d, "default_strategy", &cfg.default_strategy));
  }
  if (top["service_strategies"].get(f) == simdjson::SUCCESS) {
    simdjson::dom::array arr;
    if (f.get_array().get(arr) != simdjson::SUCCESS) return FieldError("service_strategies", "expected an array");
    size_t i = 0;
    for (element s_el : arr) {
      std::string w = "service_strategies[" + std::to_string(i++) + "]";
      object s;
      if (s_el.get_object().get(s) != simdjson::SUCCESS) return FieldError(w, "expected an object");
      element name_el;
      if (s["service"].get(name_el) != simdjson::SUCCESS) return FieldError(w, "missing \"service\"");
      auto name = ReadString(name_el, w + ".service");
      if (!name.ok()) return name.status();
      if (name->empty()) return FieldError(w + ".service", "must not be empty");
      ServiceStrategy st;
      st.lower_bound_traces_per_second = lower_bound;
      st.probability = cfg.default_strategy.probability;
      TRACERY_RETURN_IF_ERROR(ReadStrategy(s, w, &st));
      if (!cfg.services.emplace(*name, std::move(st)).second)
        return FieldError(w + ".service", "service \"" + *name + "\" is listed twice");
    }
  }
  return cfg;
}

std::string RenderJaegerStrategyJson(const ServiceStrategy& s, double factor) {
  if (!(factor > 0) || factor > 1) factor = 1;
  std::string out;
  out.reserve(256 + s.operations.size() * 96);
  if (s.type == ServiceStrategy::Type::kRateLimiting) {
    out += R"({"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":)";
    // Jaeger's field is an integer; never round a positive rate down to 0.
    double rate = s.max_traces_per_second * factor;
    int64_t r = static_cast<int64_t>(std::llround(rate));
    if (r == 0 && rate > 0) r = 1;
    out += std::to_string(r);
    out += "}}";
    return out;
  }
  out += R"({"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":)";
  AppendDouble(&out, s.probability * factor);
  out += "}";
  if (!s.operations.empty()) {
    out += R"(,"operationSampling":{"defaultSamplingProbability":)";
    AppendDouble(&out, s.probability * factor);
    out += R"(,"defaultLowerBoundTracesPerSecond":)";
    AppendDouble(&out, s.lower_bound_traces_per_second * factor);
    out += R"(,"defaultUpperBoundTracesPerSecond":0,"perOperationStrategies":[)";
    bool first = true;
    for (const auto& op : s.operations) {
      if (!first) out += ',';
      first = false;
      out += R"({"operation":")";
      AppendJsonEscaped(&out, op.operation);
      out += R"(","probabilisticSampling":{"samplingRate":)";
      AppendDouble(&out, op.probability * factor);
      out += "}}";
    }
    out += "]}";
  }
  out += "}";
  return out;
}

StrategiesFile::StrategiesFile(std::string path)
    : path_(std::move(path)), current_(std::make_shared<const StrategiesConfig>()) {}

Status StrategiesFile::Load() {
  struct stat st {};
  int64_t mtime_ns = -1, size = -1;
  if (::stat(path_.c_str(), &st) == 0) {
    mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    size = static_cast<int64_t>(st.st_size);
  }
  Status result;
  std::shared_ptr<const StrategiesConfig> parsed;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    result = Status::IOError("sampling strategies: cannot read " + path_ + ": " + std::strerror(errno));
  } else {
    std::ostringstream buf;
    buf << in.rdbuf();
    auto cfg = ParseStrategiesJson(buf.str());
    if (cfg.ok()) {
      parsed = std::make_shared<const StrategiesConfig>(std::move(*cfg));
    } else {
      result = Status(cfg.status().code(), cfg.status().message() + " (in " + path_ + ")");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_mtime_ns_ = mtime_ns;
  last_size_ = size;
  checked_once_ = true;
  if (parsed) {
    current_ = std::move(parsed);
    last_error_.clear();
    reloads_.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("sampling strategies loaded from {}", path_);
  } else {
    last_error_ = result.message();
    spdlog::warn("{}; keeping the previous strategies", last_error_);
  }
  return result;
}

void StrategiesFile::MaybeReload(uint64_t now_ns, uint64_t poll_interval_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (checked_once_ && now_ns - last_check_ns_ < poll_interval_ns) return;
    last_check_ns_ = now_ns;
    struct stat st {};
    int64_t mtime_ns = -1, size = -1;
    if (::stat(path_.c_str(), &st) == 0) {
      mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      size = static_cast<int64_t>(st.st_size);
    }
    if (checked_once_ && mtime_ns == last_mtime_ns_ && size == last_size_) return;
  }
  (void)Load();  // the error is logged and kept in last_error()
}

std::shared_ptr<const StrategiesConfig> StrategiesFile::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::string StrategiesFile::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace tracery::sampling
