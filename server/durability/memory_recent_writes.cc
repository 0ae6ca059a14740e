// One replica's recent writes, in memory.
#include "server/durability/memory_recent_writes.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace brazesync {

MemoryRecentWrites::MemoryRecentWrites(absl::Duration retention, size_t max_writes)
    : retention_(retention),
      max_writes_(std::max<size_t>(1, max_writes)),
      listeners_(std::make_shared<const std::vector<Listener>>()) {}

void MemoryRecentWrites::Record(const std::string& workspace, std::vector<RecentWrite> writes) {
  if (writes.empty()) return;
  // Allocated before the lock: the critical section only links them in.
  std::vector<std::shared_ptr<const RecentWrite>> shared;
  shared.reserve(writes.size());
  for (RecentWrite& write : writes) {
    shared.push_back(std::make_shared<const RecentWrite>(std::move(write)));
  }
  std::shared_ptr<const std::vector<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    listeners = listeners_;
    UserWrites& users = workspaces_[workspace];
    for (const std::shared_ptr<const RecentWrite>& write : shared) {
      const uint64_t sequence = next_sequence_++;
      arrivals_.push_back(Arrival{sequence, now + retention_, workspace, write->user_key});
      users[write->user_key].push_back(Stored{sequence, write});
      ++size_;
    }
    ExpireLocked(now);
  }
  for (const std::shared_ptr<const RecentWrite>& write : shared) {
    for (const Listener& listener : *listeners) listener(workspace, *write);
  }
}

std::vector<RecentWrite> MemoryRecentWrites::Find(const std::string& workspace,
                                                  const std::vector<std::string>& user_keys,
                                                  absl::Time since) const {
  std::vector<Stored> found;
  {
    absl::MutexLock lock(&mu_);
    const auto users = workspaces_.find(workspace);
    if (users == workspaces_.end()) return {};
    for (size_t i = 0; i < user_keys.size(); ++i) {
      // A key asked twice must not return its writes twice.
      if (std::find(user_keys.begin(), user_keys.begin() + i, user_keys[i]) !=
          user_keys.begin() + i) {
        continue;
      }
      const auto writes = users->second.find(user_keys[i]);
      if (writes == users->second.end()) continue;
      for (const Stored& stored : writes->second) {
        if (stored.write->written_at >= since) found.push_back(stored);
      }
    }
  }
  // Sorted and copied outside the lock: Record waits for none of it.
  std::sort(found.begin(), found.end(), [](const Stored& a, const Stored& b) {
    if (a.write->written_at != b.write->written_at) {
      return a.write->written_at < b.write->written_at;
    }
    return a.sequence < b.sequence;
  });
  std::vector<RecentWrite> result;
  result.reserve(found.size());
  for (const Stored& stored : found) result.push_back(*stored.write);
  return result;
}

void MemoryRecentWrites::Forget(const std::string& workspace,
                                const std::vector<std::string>& user_keys) {
  absl::MutexLock lock(&mu_);
  const auto users = workspaces_.find(workspace);
  if (users == workspaces_.end()) return;
  for (const std::string& user_key : user_keys) {
    const auto writes = users->second.find(user_key);
    if (writes == users->second.end()) continue;
    size_ -= writes->second.size();
    users->second.erase(writes);
  }
  // Their arrivals stay queued and are skipped when they come due.
  if (users->second.empty()) workspaces_.erase(users);
}

void MemoryRecentWrites::Subscribe(Listener listener) {
  absl::MutexLock lock(&mu_);
  auto listeners = std::make_shared<std::vector<Listener>>(*listeners_);
  listeners->push_back(std::move(listener));
  listeners_ = std::move(listeners);
}

size_t MemoryRecentWrites::size() const {
  absl::MutexLock lock(&mu_);
  return size_;
}

void MemoryRecentWrites::ExpireLocked(absl::Time now) {
  // Arrivals of forgotten writes still count here; twice the cap bounds them.
  while (!arrivals_.empty() && (arrivals_.front().expires_at <= now || size_ > max_writes_ ||
                                arrivals_.size() > 2 * max_writes_)) {
    RemoveLocked(arrivals_.front());
    arrivals_.pop_front();
  }
}

void MemoryRecentWrites::RemoveLocked(const Arrival& arrival) {
  const auto users = workspaces_.find(arrival.workspace);
  if (users == workspaces_.end()) return;
  const auto writes = users->second.find(arrival.user_key);
  if (writes == users->second.end()) return;
  // The oldest arrival overall is its user's oldest too, unless forgotten.
  absl::InlinedVector<Stored, 2>& stored = writes->second;
  if (stored.empty() || stored.front().sequence != arrival.sequence) return;
  stored.erase(stored.begin());
  --size_;
  if (stored.empty()) {
    users->second.erase(writes);
    if (users->second.empty()) workspaces_.erase(users);
  }
}

}  // namespace brazesync
