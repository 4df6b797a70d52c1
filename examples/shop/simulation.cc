#include "simulation.h"

#include <chrono>
#include <random>
#include <thread>

namespace shop {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen(std::random_device{}() ^
                                   static_cast<uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  return gen;
}

}  // namespace

bool Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(Generator()) < p;
}

uint64_t PickIndex(uint64_t n) {
  if (n == 0) return 0;
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(Generator());
}

uint64_t DrawLatencyUs(double median_us) {
  if (median_us <= 0) return 0;
  std::lognormal_distribution<double> dist(std::log(median_us), 0.4);
  double v = dist(Generator());
  // Cap the tail at 20x the median so a single draw cannot stall a demo.
  if (v > median_us * 20) v = median_us * 20;
  return static_cast<uint64_t>(v);
}

uint64_t SimulateWork(double median_us) {
  uint64_t us = DrawLatencyUs(median_us);
  if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
  return us;
}

}  // namespace shop
