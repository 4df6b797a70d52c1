// A reader/writer lock on which a waiting writer holds back new readers.
//
// std::shared_mutex on glibc is a pthread rwlock of the default kind, which
// prefers readers: while any reader holds it, further readers get in, so a
// stream of overlapping readers (several searches walking a memtable) keeps
// a writer (ingest) waiting indefinitely. This lock is a pthread rwlock of
// kind PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP: once a writer waits, new
// shared acquisitions block until it has had its turn, so the writer waits
// only for the readers already inside.
//
// Satisfies the standard SharedMutex requirements (usable with
// std::unique_lock / std::shared_lock). Not recursive: a thread that holds it
// shared and asks for it shared again deadlocks if a writer is waiting.
#pragma once

#include <pthread.h>

#include <cstdlib>

namespace tracery::storage {

class WriterPriorityMutex {
 public:
  WriterPriorityMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&rw_, &attr) != 0) std::abort();
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPriorityMutex() { pthread_rwlock_destroy(&rw_); }
  WriterPriorityMutex(const WriterPriorityMutex&) = delete;
  WriterPriorityMutex& operator=(const WriterPriorityMutex&) = delete;

  // Errors from these calls mean misuse (EDEADLK: recursive lock by the
  // holder) or a corrupt lock; neither can be handled, so they abort.
  void lock() { Check(pthread_rwlock_wrlock(&rw_)); }
  bool try_lock() { return pthread_rwlock_trywrlock(&rw_) == 0; }
  void unlock() { Check(pthread_rwlock_unlock(&rw_)); }
  void lock_shared() { Check(pthread_rwlock_rdlock(&rw_)); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&rw_) == 0; }
  void unlock_shared() { Check(pthread_rwlock_unlock(&rw_)); }

 private:
  static void Check(int rc) {
    if (rc != 0) std::abort();
  }
  pthread_rwlock_t rw_;
};

}  // namespace tracery::storage
