// Membership: which collectors are in the cluster and healthy, and the
// hash ring over them.
//
// Candidates come from a static list (--cluster-members) and/or a DNS name
// resolved periodically (--cluster-dns, A records). A checker thread probes
// every candidate but this node each check interval; a member that fails
// `failures_to_leave` consecutive probes (or that a forwarder reports down)
// leaves the ring, and one that then passes `successes_to_join` consecutive
// probes rejoins. This node is always a member of its own ring while it
// runs. Algorithm and trade-offs: docs/cluster.md.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/hash_ring.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace tracery::cluster {

struct MembershipOptions {
  std::string self;                         // this node's cluster address, host:port
  std::vector<std::string> static_members;  // host:port each; may include self
  // DNS name whose A records are members; "name" (port of `self`) or
  // "name:port". Empty: static members only.
  std::string dns_name;
  uint64_t dns_interval_ms = 5'000;
  uint64_t check_interval_ms = 1'000;
  int failures_to_leave = 3;
  int successes_to_join = 2;
  int virtual_nodes = 128;
};

// Returns true when `member` answers its health check.
using HealthProbe = std::function<bool(const std::string& member)>;
// Resolves a DNS name to IPv4 addresses (dotted quads); injectable for tests.
using Resolver = std::function<Result<std::vector<std::string>>(const std::string& name)>;

Result<std::vector<std::string>> ResolveARecords(const std::string& name);
// Splits "a:1,b:2" into members, checking each is host:port; InvalidArgument
// naming the bad entry otherwise.
Result<std::vector<std::string>> ParseMemberList(const std::string& comma_separated);

class Membership {
 public:
  Membership(MembershipOptions options, HealthProbe probe, Resolver resolver = ResolveARecords,
             MetricsRegistry* metrics = nullptr);
  ~Membership();

  // Runs one probe round synchronously (so routing starts from the real
  // state, not a guess), then starts the checker thread.
  void Start();
  void Stop();

  // The current ring (never null; at least this node).
  std::shared_ptr<const HashRing> ring() const;
  // True when `member` is this node or currently in the ring.
  bool IsLive(const std::string& member) const;
  // A forwarder failed to reach `member` after retries: it leaves the ring
  // at once (and rejoins through the usual successful probes).
  void ReportUnreachable(const std::string& member);

  // One round: resolve DNS if due, probe every candidate, rebuild the ring
  // on change. Called by the checker thread; public for tests.
  void CheckOnce();

  const std::string& self() const { return options_.self; }

 private:
  struct MemberState {
    bool live = false;
    int consecutive_failures = 0;
    int consecutive_successes = 0;
  };
  void RebuildRingLocked();  // REQUIRES: mu_ held
  void Loop();

  const MembershipOptions options_;
  HealthProbe probe_;
  Resolver resolver_;
  Counter* ring_changes_ = nullptr;

  mutable std::mutex mu_;
  std::map<std::string, MemberState> candidates_;  // GUARDED_BY(mu_); excludes self
  std::vector<std::string> dns_members_;           // GUARDED_BY(mu_)
  uint64_t next_dns_ms_ = 0;                       // GUARDED_BY(mu_)
  std::shared_ptr<const HashRing> ring_;           // GUARDED_BY(mu_)
  bool stopping_ = false;                          // GUARDED_BY(mu_)
  bool bootstrapped_ = false;                      // GUARDED_BY(mu_)
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace tracery::cluster
