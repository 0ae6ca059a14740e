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
  std::shared_ptr<const std::vector<Listener>> listeners;
  // Listeners see the writes after the lock is released: copies only when
  // someone listens.
  std::vector<RecentWrite> to_notify;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    listeners = listeners_;
    if (!listeners->empty()) to_notify = writes;
    UserWrites& users = workspaces_[workspace];
    for (RecentWrite& write : writes) {
      const uint64_t sequence = next_sequence_++;
      arrivals_.push_back(Arrival{sequence, now + retention_, workspace, write.user_key});
      std::string user_key = write.user_key;
      users[user_key].push_back(Stored{sequence, std::move(write)});
      ++size_;
    }
    ExpireLocked(now);
  }
  for (const RecentWrite& write : to_notify) {
    for (const Listener& listener : *listeners) listener(workspace, write);
  }
}

std::vector<RecentWrite> MemoryRecentWrites::Find(const std::string& workspace,
                                                  const std::vector<std::string>& user_keys,
                                                  absl::Time since) const {
  std::vector<const Stored*> found;
  std::vector<RecentWrite> result;
  absl::MutexLock lock(&mu_);
  const auto users = workspaces_.find(workspace);
  if (users == workspaces_.end()) return result;
  for (size_t i = 0; i < user_keys.size(); ++i) {
    // A key asked twice must not return its writes twice.
    if (std::find(user_keys.begin(), user_keys.begin() + i, user_keys[i]) !=
        user_keys.begin() + i) {
      continue;
    }
    const auto writes = users->second.find(user_keys[i]);
    if (writes == users->second.end()) continue;
    for (const Stored& stored : writes->second) {
      if (stored.write.written_at >= since) found.push_back(&stored);
    }
  }
  std::sort(found.begin(), found.end(), [](const Stored* a, const Stored* b) {
    if (a->write.written_at != b->write.written_at) {
      return a->write.written_at < b->write.written_at;
    }
    return a->sequence < b->sequence;
  });
  result.reserve(found.size());
  for (const Stored* stored : found) result.push_back(stored->write);
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
  std::deque<Stored>& stored = writes->second;
  if (stored.empty() || stored.front().sequence != arrival.sequence) return;
  stored.pop_front();
  --size_;
  if (stored.empty()) {
    users->second.erase(writes);
    if (users->second.empty()) workspaces_.erase(users);
  }
}

}  // namespace brazesync
