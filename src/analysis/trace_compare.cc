#include "analysis/trace_compare.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace tracery::analysis {
namespace {

struct PathAgg {
  std::string service, operation;
  uint64_t count = 0, ns = 0;
};

// Paths of every span, in depth-first order of first appearance.
std::vector<std::pair<std::string, PathAgg>> PathsOf(const TraceTree& t) {
  const auto& nodes = t.nodes();
  std::vector<std::string> path_of(nodes.size());
  std::vector<std::pair<std::string, PathAgg>> out;
  std::unordered_map<std::string, size_t> index;
  for (uint32_t i : t.preorder()) {
    const auto& n = nodes[i];
    std::string p = n.parent == TraceTree::kNoParent ? std::string() : path_of[n.parent] + "|";
    p.append(n.service);
    p.push_back(':');
    p.append(n.span->name);
    auto [it, inserted] = index.emplace(p, out.size());
    if (inserted) out.push_back({p, PathAgg{std::string(n.service), n.span->name}});
    auto& agg = out[it->second].second;
    ++agg.count;
    agg.ns += n.duration_ns();
    path_of[i] = std::move(p);
  }
  return out;
}

uint64_t Median(std::vector<uint64_t> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>((v.size() - 1) / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

const char* PathDiffStatusName(PathDiff::Status s) {
  switch (s) {
    case PathDiff::Status::kAdded: return "added";
    case PathDiff::Status::kMissing: return "missing";
    case PathDiff::Status::kSlower: return "slower";
    case PathDiff::Status::kFaster: return "faster";
    case PathDiff::Status::kSame: return "same";
  }
  return "same";
}

std::vector<PathDiff> CompareTraces(const TraceTree& a, const TraceTree& b) {
  auto pa = PathsOf(a);
  auto pb = PathsOf(b);
  std::unordered_map<std::string, size_t> in_b;
  for (size_t i = 0; i < pb.size(); ++i) in_b.emplace(pb[i].first, i);
  std::vector<PathDiff> out;
  std::vector<uint8_t> b_matched(pb.size(), 0);
  for (auto& [path, agg] : pa) {
    PathDiff d;
    d.path = path;
    d.service = agg.service;
    d.operation = agg.operation;
    d.a_count = agg.count;
    d.a_ns = agg.ns;
    auto it = in_b.find(path);
    if (it == in_b.end()) {
      d.status = PathDiff::Status::kMissing;
    } else {
      b_matched[it->second] = 1;
      d.b_count = pb[it->second].second.count;
      d.b_ns = pb[it->second].second.ns;
      d.delta_ns = static_cast<int64_t>(d.b_ns) - static_cast<int64_t>(d.a_ns);
      uint64_t mag = static_cast<uint64_t>(d.delta_ns < 0 ? -d.delta_ns : d.delta_ns);
      if (mag >= kMinDeltaNs && double(mag) >= 0.1 * double(d.a_ns))
        d.status = d.delta_ns > 0 ? PathDiff::Status::kSlower : PathDiff::Status::kFaster;
    }
    if (d.status == PathDiff::Status::kMissing) d.delta_ns = -static_cast<int64_t>(d.a_ns);
    out.push_back(std::move(d));
  }
  for (size_t i = 0; i < pb.size(); ++i) {
    if (b_matched[i]) continue;
    PathDiff d;
    d.path = pb[i].first;
    d.service = pb[i].second.service;
    d.operation = pb[i].second.operation;
    d.status = PathDiff::Status::kAdded;
    d.b_count = pb[i].second.count;
    d.b_ns = pb[i].second.ns;
    d.delta_ns = static_cast<int64_t>(d.b_ns);
    out.push_back(std::move(d));
  }
  return out;
}

void GroupProfile::AddTrace(const TraceTree& tree) {
  ++traces_;
  trace_durations_ns_.push_back(tree.end_ns() - tree.start_ns());
  std::set<std::pair<std::string, std::string>> ops_seen, attrs_seen;
  auto add_attrs = [&](const model::Attributes& attrs) {
    for (const auto& kv : attrs) {
      using T = model::AnyValue::Type;
      if (kv.value.type != T::kString && kv.value.type != T::kInt && kv.value.type != T::kBool) continue;
      if (kv.key == model::keys::kServiceName) continue;
      std::string v = kv.value.ToString();
      if (v.size() > 128) continue;
      attrs_seen.emplace(kv.key, std::move(v));
    }
  };
  for (const auto& n : tree.nodes()) {
    auto key = std::make_pair(std::string(n.service), n.span->name);
    ops_[key].durations_ns.push_back(n.duration_ns());
    ops_seen.insert(std::move(key));
    add_attrs(n.span->attributes);
  }
  for (const auto& k : ops_seen) ++ops_[k].traces;
  for (const auto& k : attrs_seen) ++attrs_[k];
}

uint64_t GroupProfile::P50TraceNs() const { return Median(trace_durations_ns_); }

GroupComparison CompareGroups(const GroupProfile& a, const GroupProfile& b, size_t max_rows) {
  GroupComparison out;
  auto share = [](uint64_t n, size_t of) { return of ? double(n) / double(of) : 0.0; };
  std::set<std::pair<std::string, std::string>> op_keys;
  for (const auto& [k, v] : a.ops_) op_keys.insert(k);
  for (const auto& [k, v] : b.ops_) op_keys.insert(k);
  for (const auto& k : op_keys) {
    GroupComparison::Operation o;
    o.service = k.first;
    o.operation = k.second;
    auto ia = a.ops_.find(k);
    auto ib = b.ops_.find(k);
    if (ia != a.ops_.end()) {
      o.a_share = share(ia->second.traces, a.traces_);
      o.a_p50_ns = Median(ia->second.durations_ns);
    }
    if (ib != b.ops_.end()) {
      o.b_share = share(ib->second.traces, b.traces_);
      o.b_p50_ns = Median(ib->second.durations_ns);
    }
    o.score = std::abs(o.a_share - o.b_share);
    if (ia != a.ops_.end() && ib != b.ops_.end()) {
      double ratio = double(std::max<uint64_t>(o.b_p50_ns, 1)) / double(std::max<uint64_t>(o.a_p50_ns, 1));
      o.score += std::min(1.0, std::abs(std::log2(ratio)) / 3.0);
    }
    out.operations.push_back(std::move(o));
  }
  std::set<std::pair<std::string, std::string>> attr_keys;
  for (const auto& [k, v] : a.attrs_) attr_keys.insert(k);
  for (const auto& [k, v] : b.attrs_) attr_keys.insert(k);
  for (const auto& k : attr_keys) {
    GroupComparison::Attribute at;
    at.key = k.first;
    at.value = k.second;
    auto ia = a.attrs_.find(k);
    auto ib = b.attrs_.find(k);
    at.a_share = ia == a.attrs_.end() ? 0 : share(ia->second, a.traces_);
    at.b_share = ib == b.attrs_.end() ? 0 : share(ib->second, b.traces_);
    at.score = std::abs(at.a_share - at.b_share);
    out.attributes.push_back(std::move(at));
  }
  auto by_score = [](const auto& x, const auto& y) { return x.score > y.score; };
  std::stable_sort(out.operations.begin(), out.operations.end(), by_score);
  std::stable_sort(out.attributes.begin(), out.attributes.end(), by_score);
  if (out.operations.size() > max_rows) out.operations.resize(max_rows);
  if (out.attributes.size() > max_rows) out.attributes.resize(max_rows);
  return out;
}

}  // namespace tracery::analysis
