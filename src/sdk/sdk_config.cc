// Configuration from OTEL_* environment variables, resource detection, and
// the one-line InitFromEnv.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "otlp_exporters.h"
#include "tracery/sdk.h"

namespace tracery::sdk {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = s.find(sep);
    out.push_back(Trim(s.substr(0, pos)));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}
// k=v,k2=v2 with percent-decoded keys and values; bad members are reported.
std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view s, const char* var,
                                                                   std::vector<std::string>* warnings) {
  std::vector<std::pair<std::string, std::string>> out;
  if (Trim(s).empty()) return out;
  for (std::string_view member : Split(s, ',')) {
    size_t eq = member.find('=');
    auto key = eq == std::string_view::npos ? std::nullopt : PercentDecode(Trim(member.substr(0, eq)));
    auto value = eq == std::string_view::npos ? std::nullopt : PercentDecode(Trim(member.substr(eq + 1)));
    if (!key || !value || key->empty()) {
      warnings->push_back(std::string(var) + ": ignored malformed member '" + std::string(member) +
                          "' (want key=value with valid %XX escapes)");
      continue;
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace

SdkOptions OptionsFromEnv(const EnvLookup& lookup) {
  auto get = [&](const char* name) -> std::string_view {
    const char* v = lookup ? lookup(name) : std::getenv(name);
    return v ? Trim(v) : std::string_view();
  };
  SdkOptions o;
  auto read_u32 = [&](const char* name, uint32_t* field) {
    std::string_view v = get(name);
    if (v.empty()) return;
    uint32_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n == 0) {
      o.warnings.push_back(std::string(name) + "='" + std::string(v) + "' is not a positive integer; using " +
                           std::to_string(*field));
      return;
    }
    *field = n;
  };

  std::string disabled = Lower(get("OTEL_SDK_DISABLED"));
  o.disabled = disabled == "true";
  if (!disabled.empty() && disabled != "true" && disabled != "false") {
    o.warnings.push_back("OTEL_SDK_DISABLED='" + disabled + "' is not true/false; SDK stays enabled");
  }

  o.resource.attributes = ParseKeyValueList(get("OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES", &o.warnings);
  o.resource.service_name = std::string(get("OTEL_SERVICE_NAME"));

  if (auto s = get("OTEL_TRACES_SAMPLER"); !s.empty()) o.sampler.name = Lower(s);
  o.sampler.arg = std::string(get("OTEL_TRACES_SAMPLER_ARG"));

  if (auto p = get("OTEL_PROPAGATORS"); !p.empty()) {
    o.propagators.clear();
    for (std::string_view name : Split(p, ',')) {
      if (!name.empty()) o.propagators.push_back(Lower(name));
    }
  }

  std::string protocol = Lower(get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
  if (protocol.empty()) protocol = Lower(get("OTEL_EXPORTER_OTLP_PROTOCOL"));
  if (protocol == "grpc") {
    o.exporter.protocol = OtlpProtocol::kGrpc;
  } else if (!protocol.empty() && protocol != "http/protobuf") {
    o.warnings.push_back("OTEL_EXPORTER_OTLP_PROTOCOL='" + protocol +
                         "' is not supported (use http/protobuf or grpc); using http/protobuf");
  }
  std::string_view endpoints = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  o.exporter.endpoints_are_full_urls = !endpoints.empty();
  if (endpoints.empty()) endpoints = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  for (std::string_view e : Split(endpoints, ',')) {
    if (!e.empty()) o.exporter.endpoints.emplace_back(e);
  }
  std::string_view headers = get("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
  if (headers.empty()) headers = get("OTEL_EXPORTER_OTLP_HEADERS");
  o.exporter.headers = ParseKeyValueList(headers, "OTEL_EXPORTER_OTLP_HEADERS", &o.warnings);
  std::string compression = Lower(get("OTEL_EXPORTER_OTLP_COMPRESSION"));
  if (compression == "gzip") {
    o.exporter.gzip = true;
  } else if (compression == "none" || compression.empty()) {
    o.exporter.gzip = false;
  } else {
    o.warnings.push_back("OTEL_EXPORTER_OTLP_COMPRESSION='" + compression + "' is not gzip or none; sending uncompressed");
  }
  read_u32("OTEL_EXPORTER_OTLP_TIMEOUT", &o.exporter.per_attempt_timeout_ms);

  read_u32("OTEL_BSP_SCHEDULE_DELAY", &o.batch.schedule_delay_ms);
  read_u32("OTEL_BSP_MAX_QUEUE_SIZE", &o.batch.max_queue_size);
  read_u32("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &o.batch.max_export_batch_size);
  read_u32("OTEL_BSP_EXPORT_TIMEOUT", &o.batch.export_timeout_ms);
  if (o.batch.max_export_batch_size > o.batch.max_queue_size) {
    o.warnings.push_back("OTEL_BSP_MAX_EXPORT_BATCH_SIZE exceeds OTEL_BSP_MAX_QUEUE_SIZE; capped");
    o.batch.max_export_batch_size = o.batch.max_queue_size;
  }
  return o;
}

std::vector<std::pair<std::string, std::string>> DetectResource(const ResourceOptions& options) {
  std::vector<std::pair<std::string, std::string>> out;
  auto set = [&](const std::string& k, const std::string& v) {
    for (auto& kv : out) {
      if (kv.first == k) {
        kv.second = v;
        return;
      }
    }
    out.emplace_back(k, v);
  };
  bool has_service = false;
  for (const auto& [k, v] : options.attributes) {
    set(k, v);
    has_service |= k == "service.name";
  }
  if (!options.service_name.empty()) {
    set("service.name", options.service_name);
  } else if (!has_service) {
    std::string exe;
    std::ifstream comm("/proc/self/comm");
    std::getline(comm, exe);
    set("service.name", exe.empty() ? "unknown_service" : "unknown_service:" + exe);
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
    bool has_host = false;
    for (const auto& kv : out) has_host |= kv.first == "host.name";
    if (!has_host) set("host.name", host);
  }
  set("process.pid", std::to_string(getpid()));
  set("telemetry.sdk.name", "tracery");
  set("telemetry.sdk.language", "cpp");
  set("telemetry.sdk.version", "0.1.0");
  return out;
}

namespace {
// "endpoint=...,pollingIntervalMs=...,initialSamplingRate=..."
RemoteSamplerOptions ParseRemoteArg(std::string_view arg, std::string_view service_name,
                                    std::vector<std::string>* warnings) {
  RemoteSamplerOptions r;
  if (!service_name.empty()) r.service_name = std::string(service_name);
  for (std::string_view member : Split(arg, ',')) {
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view k = Trim(member.substr(0, eq));
    std::string_view v = eq == std::string_view::npos ? std::string_view() : Trim(member.substr(eq + 1));
    if (k == "endpoint") {
      r.endpoint = std::string(v);
    } else if (k == "pollingIntervalMs") {
      uint64_t ms = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec == std::errc() && ms > 0) r.poll_interval = std::chrono::milliseconds(ms);
      else if (warnings) warnings->push_back("OTEL_TRACES_SAMPLER_ARG: bad pollingIntervalMs");
    } else if (k == "initialSamplingRate") {
      char* end = nullptr;
      std::string s(v);
      double d = std::strtod(s.c_str(), &end);
      if (end && *end == 0 && d >= 0 && d <= 1) r.initial_sampling_rate = d;
      else if (warnings) warnings->push_back("OTEL_TRACES_SAMPLER_ARG: bad initialSamplingRate");
    }
  }
  return r;
}
}  // namespace

std::unique_ptr<Sampler> MakeSampler(const SamplerOptions& options, std::string_view service_name,
                                     std::vector<std::string>* warnings) {
  auto ratio = [&]() {
    if (options.arg.empty()) return 1.0;
    char* end = nullptr;
    double d = std::strtod(options.arg.c_str(), &end);
    if (end == options.arg.c_str() || *end != 0 || !(d >= 0 && d <= 1)) {
      if (warnings) warnings->push_back("OTEL_TRACES_SAMPLER_ARG='" + options.arg + "' is not a ratio in [0,1]; using 1.0");
      return 1.0;
    }
    return d;
  };
  const std::string& n = options.name;
  if (n == "always_on") return MakeAlwaysOnSampler();
  if (n == "always_off") return MakeAlwaysOffSampler();
  if (n == "traceidratio") return MakeTraceIdRatioSampler(ratio());
  if (n == "parentbased_always_on") return MakeParentBasedSampler(MakeAlwaysOnSampler());
  if (n == "parentbased_always_off") return MakeParentBasedSampler(MakeAlwaysOffSampler());
  if (n == "parentbased_traceidratio") return MakeParentBasedSampler(MakeTraceIdRatioSampler(ratio()));
  if (n == "jaeger_remote") return MakeRemoteSampler(ParseRemoteArg(options.arg, service_name, warnings));
  if (n == "parentbased_jaeger_remote") {
    return MakeParentBasedSampler(MakeRemoteSampler(ParseRemoteArg(options.arg, service_name, warnings)));
  }
  if (warnings) warnings->push_back("OTEL_TRACES_SAMPLER='" + n + "' is unknown; using parentbased_always_on");
  return MakeParentBasedSampler(MakeAlwaysOnSampler());
}

std::unique_ptr<SpanExporter> MakeOtlpExporter(const ExporterOptions& options) {
  auto e = options.protocol == OtlpProtocol::kGrpc ? internal::MakeOtlpGrpcExporter(options)
                                                   : internal::MakeOtlpHttpExporter(options);
  if (!e.ok()) {
    std::fprintf(stderr, "tracery: exporter not created: %s\n", e.status().message().c_str());
    return nullptr;
  }
  return std::move(e).value();
}

std::unique_ptr<TracerProvider> Init(const SdkOptions& options) {
  SdkOptions o = options;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<SpanExporter> exporter;
  if (!o.disabled) {
    std::string service = o.resource.service_name;
    if (service.empty()) {
      for (const auto& [k, v] : o.resource.attributes) {
        if (k == "service.name") service = v;
      }
    }
    sampler = MakeSampler(o.sampler, service, &o.warnings);
    exporter = MakeOtlpExporter(o.exporter);
  }
  std::vector<std::string> unknown;
  SetGlobalPropagator(MakePropagator(o.propagators, &unknown));
  for (const std::string& u : unknown) o.warnings.push_back("OTEL_PROPAGATORS: unknown propagator '" + u + "' skipped");
  for (const std::string& w : o.warnings) std::fprintf(stderr, "tracery: %s\n", w.c_str());
  auto provider = std::make_unique<TracerProvider>(o, std::move(exporter), std::move(sampler));
  SetGlobalTracerProvider(provider.get());
  return provider;
}

std::unique_ptr<TracerProvider> InitFromEnv() { return Init(OptionsFromEnv()); }

}  // namespace tracery::sdk
