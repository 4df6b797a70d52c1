#include "cluster/membership.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace tracery::cluster {

namespace {

uint64_t SteadyMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool LooksLikeHostPort(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  for (size_t i = colon + 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return s.size() - colon - 1 <= 5 && std::stoul(s.substr(colon + 1)) <= 65535;
}

std::string PortOf(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  return colon == std::string::npos ? "" : host_port.substr(colon + 1);
}

}  // namespace

Result<std::vector<std::string>> ResolveARecords(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Status::Unavailable("resolving " + name + ": " + gai_strerror(rc));
  std::set<std::string> out;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(p->ai_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr) out.insert(buf);
  }
  freeaddrinfo(res);
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::vector<std::string>> ParseMemberList(const std::string& comma_separated) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t end = comma_separated.find(',', start);
    if (end == std::string::npos) end = comma_separated.size();
    std::string item = comma_separated.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) {
      if (!LooksLikeHostPort(item)) {
        return Status::InvalidArgument("cluster member '" + item + "' is not host:port (e.g. 10.0.0.5:4320)");
      }
      out.push_back(item);
    }
    start = end + 1;
  }
  return out;
}

Membership::Membership(MembershipOptions options, HealthProbe probe, Resolver resolver, MetricsRegistry* metrics)
    : options_(std::move(options)), probe_(std::move(probe)), resolver_(std::move(resolver)) {
  if (metrics != nullptr) {
    ring_changes_ = metrics->GetCounter("tracery_cluster_ring_changes_total", "Times the collector hash ring changed");
  }
  for (const auto& m : options_.static_members) {
    if (m != options_.self) candidates_[m];
  }
  ring_ = std::make_shared<HashRing>(std::vector<std::string>{options_.self}, options_.virtual_nodes);
}

Membership::~Membership() { Stop(); }

void Membership::Start() {
  CheckOnce();
  thread_ = std::thread([this] { Loop(); });
}

void Membership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Membership::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.check_interval_ms), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    CheckOnce();
    lock.lock();
  }
}

std::shared_ptr<const HashRing> Membership::ring() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ring_;
}

bool Membership::IsLive(const std::string& member) const {
  if (member == options_.self) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = candidates_.find(member);
  return it != candidates_.end() && it->second.live;
}

void Membership::ReportUnreachable(const std::string& member) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = candidates_.find(member);
  if (it == candidates_.end() || !it->second.live) return;
  it->second.live = false;
  it->second.consecutive_failures = options_.failures_to_leave;
  it->second.consecutive_successes = 0;
  spdlog::warn("cluster: {} unreachable by forwarding; it leaves the ring", member);
  RebuildRingLocked();
}

void Membership::CheckOnce() {
  std::vector<std::string> to_probe;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t now = SteadyMs();
    if (!options_.dns_name.empty() && now >= next_dns_ms_) {
      next_dns_ms_ = now + options_.dns_interval_ms;
      std::string name = options_.dns_name, port = PortOf(options_.self);
      if (LooksLikeHostPort(name)) {
        port = PortOf(name);
        name = name.substr(0, name.rfind(':'));
      }
      auto addrs = resolver_(name);
      if (addrs.ok()) {
        std::set<std::string> now_members;
        for (const auto& a : *addrs) now_members.insert(a + ":" + port);
        // Members that vanished from DNS stop being candidates.
        for (const auto& old : dns_members_) {
          if (!now_members.count(old) &&
              std::find(options_.static_members.begin(), options_.static_members.end(), old) ==
                  options_.static_members.end()) {
            auto it = candidates_.find(old);
            if (it != candidates_.end()) {
              changed = changed || it->second.live;
              candidates_.erase(it);
            }
          }
        }
        dns_members_.assign(now_members.begin(), now_members.end());
        for (const auto& m : dns_members_)
          if (m != options_.self) candidates_[m];
      } else {
        spdlog::warn("cluster: {} (keeping the previous members)", addrs.status().message());
      }
    }
    for (const auto& [m, st] : candidates_) to_probe.push_back(m);
  }
  std::vector<std::pair<std::string, bool>> results;
  for (const auto& m : to_probe) results.emplace_back(m, probe_(m));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [m, healthy] : results) {
    auto it = candidates_.find(m);
    if (it == candidates_.end()) continue;
    MemberState& s = it->second;
    if (healthy) {
      s.consecutive_failures = 0;
      ++s.consecutive_successes;
      if (!s.live && s.consecutive_successes >= options_.successes_to_join) {
        s.live = true;
        changed = true;
        spdlog::info("cluster: {} healthy; it joins the ring", m);
      }
    } else {
      s.consecutive_successes = 0;
      ++s.consecutive_failures;
      if (s.live && s.consecutive_failures >= options_.failures_to_leave) {
        s.live = false;
        changed = true;
        spdlog::warn("cluster: {} failed {} health checks; it leaves the ring", m, s.consecutive_failures);
      }
    }
  }
  // The first round (at Start) takes a member answering once as live, so
  // a node starting into a running cluster routes correctly at once.
  if (!bootstrapped_) {
    bootstrapped_ = true;
    for (auto& [m, s] : candidates_) {
      if (!s.live && s.consecutive_successes > 0) {
        s.live = true;
        changed = true;
      }
    }
  }
  if (changed) RebuildRingLocked();
}

void Membership::RebuildRingLocked() {
  std::vector<std::string> members{options_.self};
  for (const auto& [m, s] : candidates_)
    if (s.live) members.push_back(m);
  ring_ = std::make_shared<HashRing>(std::move(members), options_.virtual_nodes);
  if (ring_changes_ != nullptr) ring_changes_->Add(1);
  std::string list;
  for (const auto& m : ring_->members()) list += (list.empty() ? "" : ",") + m;
  spdlog::info("cluster: ring is now [{}]", list);
}

}  // namespace tracery::cluster
