// Helpers shared by the outbox, dead-letter store and admin rpc tests.
#include "tests/server/durability/outbox_test_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "server/durability/sqlite_dead_letter_store.h"
#include "server/durability/sqlite_outbox.h"
#include "server/durability/stored_payload.h"
#include "server/postgres/postgres_dead_letter_store.h"
#include "server/postgres/postgres_outbox.h"
#include "server/postgres/schema.h"

namespace brazesync {
namespace outbox_testing {

using testing_support::kWait;

// Enough for any test's outbox: FetchDue's limit when counting everything.
constexpr size_t kCountLimit = 1'000'000;

v1::Event MakeEvent(const std::string& user, const std::string& name) {
  v1::Event event;
  event.mutable_user()->set_external_id(user);
  event.set_name(name);
  return event;
}

NewOutboxItem EventItem(const std::string& item_id, const std::string& name,
                        const std::string& workspace) {
  v1::Event event = MakeEvent("u1", name);
  event.set_event_id(item_id);
  NewOutboxItem item;
  item.workspace = workspace;
  item.kind = v1::ITEM_KIND_EVENT;
  item.item_id = item_id;
  item.user_key = "external_id:u1";
  item.payload = event.SerializeAsString();
  item.payload_version = kPayloadVersion;
  return item;
}

NewOutboxItem ProfileItem(const std::string& first_name, size_t notes_bytes) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("u1");
  profile.set_first_name(first_name);
  if (notes_bytes > 0) {
    (*profile.mutable_custom_attributes())["notes"].set_string_value(std::string(notes_bytes, 'n'));
  }
  NewOutboxItem item = EncodeProfile(profile);
  item.workspace = kWorkspace;
  item.user_key = "external_id:u1";
  return item;
}

NewOutboxItem PurchaseItem(const std::string& purchase_id) {
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id("u1");
  purchase.set_product_id("plan_pro");
  purchase.set_currency("USD");
  purchase.set_price(49.5);
  purchase.set_purchase_id(purchase_id);
  NewOutboxItem item;
  item.workspace = kWorkspace;
  item.kind = v1::ITEM_KIND_PURCHASE;
  item.item_id = purchase_id;
  item.user_key = "external_id:u1";
  item.payload = purchase.SerializeAsString();
  item.payload_version = kPayloadVersion;
  return item;
}

DeliveryReport Delivered(int64_t id) {
  DeliveryReport report;
  report.id = id;
  report.result = DeliveryReport::Result::kDelivered;
  report.outcome = "delivered";
  return report;
}

DeliveryReport Retry(int64_t id, absl::Time retry_at, const std::string& outcome) {
  DeliveryReport report;
  report.id = id;
  report.result = DeliveryReport::Result::kRetry;
  report.outcome = outcome;
  report.retry_at = retry_at;
  return report;
}

DeliveryReport Dead(int64_t id, const std::string& reason, const std::string& braze_response) {
  DeliveryReport report;
  report.id = id;
  report.result = DeliveryReport::Result::kDead;
  report.outcome = reason;
  report.reason = reason;
  report.braze_response = braze_response;
  return report;
}

absl::StatusOr<std::vector<bool>> AcceptNow(OutboxStore& outbox, std::vector<NewOutboxItem> items) {
  absl::Notification done;
  absl::StatusOr<std::vector<bool>> result = absl::UnknownError("Accept did not finish");
  outbox.Accept(std::move(items), [&](absl::StatusOr<std::vector<bool>> stored) {
    result = std::move(stored);
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(kWait)) return absl::DeadlineExceededError("Accept");
  return result;
}

namespace {

// Starts an outbox operation `what` that reports a status to the callback it
// is given, and waits for that status.
template <typename Start>
absl::Status AwaitStatus(const char* what, Start start) {
  absl::Notification done;
  absl::Status result = absl::UnknownError(absl::StrCat(what, " did not finish"));
  start([&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(kWait)) return absl::DeadlineExceededError(what);
  return result;
}

}  // namespace

absl::Status ReportNow(OutboxStore& outbox, std::vector<DeliveryReport> reports) {
  return AwaitStatus("Report",
                     [&](auto done) { outbox.Report(std::move(reports), std::move(done)); });
}

absl::Status MarkInDoubtNow(OutboxStore& outbox, std::vector<int64_t> ids) {
  return AwaitStatus("MarkInDoubt",
                     [&](auto done) { outbox.MarkInDoubt(std::move(ids), std::move(done)); });
}

absl::StatusOr<int64_t> QueuedCount(OutboxStore& outbox) {
  absl::StatusOr<std::vector<OutboxItem>> items =
      outbox.FetchDue(0, absl::InfiniteFuture(), 0, kCountLimit);
  if (!items.ok()) return items.status();
  return static_cast<int64_t>(items->size());
}

std::vector<int64_t> Ids(const DeadLetterPage& page) {
  std::vector<int64_t> ids;
  for (const DeadLetter& letter : page.letters) ids.push_back(letter.id);
  return ids;
}

std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

void PrintTo(StoreKind kind, std::ostream* os) {
  *os << (kind == StoreKind::kSqlite ? "Sqlite" : "Postgres");
}

PgWorkerOptions PartitionOwnerOptions(const std::string& uri, std::vector<int> partitions) {
  PgWorkerOptions options;
  options.uri = uri;
  options.label = "owner";
  options.reconnect_delay = absl::ZeroDuration();
  options.on_connect = [partitions = std::move(partitions)](PgConnection& connection) {
    for (int part : partitions) {
      // Any fixed key: the tests' owners only exclude each other.
      absl::Status locked =
          connection
              .Exec("lock the partition", "SELECT pg_advisory_lock(2, $1)", {PgParam::Int(part)})
              .status();
      if (!locked.ok()) return locked;
      absl::Status owned =
          connection
              .Exec("own the partition",
                    "UPDATE bs_partitions SET owner = 'test', owner_pid = pg_backend_pid(), "
                    "epoch = epoch + 1, acquired_at = now() WHERE part = $1",
                    {PgParam::Int(part)})
              .status();
      if (!owned.ok()) return owned;
    }
    return absl::OkStatus();
  };
  return options;
}

absl::Time OutboxFixture::DueAt(absl::Time time) const {
  return kind_ == StoreKind::kSqlite ? time : absl::InfiniteFuture();
}

absl::Status OutboxFixture::Reopen() {
  store_.reset();
  outbox_.reset();
  if (kind_ == StoreKind::kPostgres) {
    // As a stopped replica: its owner session, and the partition, end.
    owner_session_.reset();
    if (pg_database_ == nullptr) {
      absl::StatusOr<std::unique_ptr<testing_support::PostgresTestDatabase>> database =
          testing_support::PostgresTestDatabase::Create();
      if (!database.ok()) return database.status();
      pg_database_ = *std::move(database);
      std::unique_ptr<PgConnection> connection = pg_database_->Connect();
      if (connection == nullptr) return absl::UnavailableError("cannot connect to the database");
      absl::Status created = CreateOrUpgradeSchema(*connection, 1);
      if (!created.ok()) return created;
    }
    owner_session_ = std::make_unique<PgWorker>(PartitionOwnerOptions(pg_database_->uri(), {0}));
    absl::Status owner = owner_session_->Connect();
    if (!owner.ok()) return owner;
    PgWorkerOptions writer;
    writer.uri = pg_database_->uri();
    PgWorkerOptions reader;
    reader.uri = pg_database_->uri();
    auto outbox = std::make_unique<PostgresOutbox>(std::make_unique<PgWorker>(std::move(writer)),
                                                   std::make_unique<PgWorker>(std::move(reader)),
                                                   owner_session_.get(), options_, 1);
    store_ = std::make_unique<PostgresDeadLetterStore>(&outbox->writer(), max_page_bytes_);
    outbox_ = std::move(outbox);
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<SqliteOutbox>> opened = SqliteOutbox::Open(dir_.path(), options_);
  if (!opened.ok()) return opened.status();
  store_ = std::make_unique<SqliteDeadLetterStore>(opened->get(), max_page_bytes_);
  outbox_ = *std::move(opened);
  return absl::OkStatus();
}

int64_t OutboxFixture::AcceptOne(NewOutboxItem item) {
  absl::StatusOr<std::vector<bool>> stored = AcceptNow(*outbox_, {std::move(item)});
  EXPECT_TRUE(stored.ok()) << stored.status();
  if (!stored.ok()) return 0;
  EXPECT_THAT(*stored, ::testing::ElementsAre(true));
  absl::StatusOr<std::vector<OutboxItem>> due =
      outbox_->FetchDue(0, absl::InfiniteFuture(), last_id_, 1000);
  EXPECT_TRUE(due.ok()) << due.status();
  if (!due.ok() || due->empty()) return 0;
  last_id_ = due->back().id;
  return last_id_;
}

int64_t OutboxFixture::DeadLetterOne(NewOutboxItem item, const std::string& reason) {
  const int64_t id = AcceptOne(std::move(item));
  EXPECT_TRUE(ReportNow(*outbox_, {Dead(id, reason)}).ok());
  const std::vector<DeadLetter> letters = AllDeadLetters();
  return letters.empty() ? 0 : letters.back().id;
}

ItemIdState OutboxFixture::StateOf(const std::string& item_id, const std::string& workspace) {
  absl::StatusOr<ItemStatus> status = store_->GetItemStatus(workspace, item_id);
  EXPECT_TRUE(status.ok()) << status.status();
  // An impossible state, so that a comparison with any real one fails.
  return status.ok() ? status->state : static_cast<ItemIdState>(0);
}

int64_t OutboxFixture::Queued() {
  absl::StatusOr<int64_t> count = QueuedCount(*outbox_);
  EXPECT_TRUE(count.ok()) << count.status();
  return count.ok() ? *count : -1;
}

std::vector<DeadLetter> ListAllDeadLetters(DeadLetterStore& store) {
  std::vector<DeadLetter> letters;
  int64_t after_id = 0;
  do {
    absl::StatusOr<DeadLetterPage> page =
        store.ListDeadLetters("", DeadLetterStore::kMaxPageSize, after_id);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (DeadLetter& letter : page->letters) letters.push_back(std::move(letter));
    after_id = page->next_after_id;
  } while (after_id != 0);
  return letters;
}

void StoreFixture::SetUp() {
  kind_ = GetParam();
  if (kind_ == StoreKind::kPostgres) BRAZESYNC_REQUIRE_POSTGRES();
  OutboxFixture::SetUp();
}

std::vector<DeadLetter> OutboxFixture::AllDeadLetters() { return ListAllDeadLetters(*store_); }

}  // namespace outbox_testing
}  // namespace brazesync
