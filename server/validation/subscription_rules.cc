// The rules of the BrazeSubscriptions request (subscription_rules.h;
// braze-api-round2.md §2.10, cases 147-158): each subscription_groups entry
// with its group, a group state, ids that are not empty, emails or phones
// but not both; phones to E.164.
#include "server/validation/subscription_rules.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brazesync {

ActionViolations ValidateSetSubscriptionStatus(const v1::SetSubscriptionStatusRequest& request,
                                               const std::string& default_phone_region) {
  ActionViolations result;
  if (request.subscription_groups_size() == 0) {
    AddViolation(&result.request, "subscription_groups", "at least one entry is required");
  }
  for (int i = 0; i < request.subscription_groups_size(); ++i) {
    const v1::SubscriptionGroupStatus& entry = request.subscription_groups(i);
    const std::string path = IndexPath("subscription_groups", i);
    FieldViolations out;
    CheckRequired(entry.subscription_group_id(), FieldPath(path, "subscription_group_id"), &out);
    const std::string state_path = FieldPath(path, "subscription_state");
    switch (entry.subscription_state()) {
      case v1::SUBSCRIPTION_STATE_SUBSCRIBED:
      case v1::SUBSCRIPTION_STATE_UNSUBSCRIBED:
        break;
      case v1::SUBSCRIPTION_STATE_UNSPECIFIED:
        AddViolation(&out, state_path,
                     "required: SUBSCRIPTION_STATE_SUBSCRIBED or SUBSCRIPTION_STATE_UNSUBSCRIBED");
        break;
      case v1::SUBSCRIPTION_STATE_OPTED_IN:
        AddViolation(&out, state_path,
                     "must be SUBSCRIPTION_STATE_SUBSCRIBED or SUBSCRIPTION_STATE_UNSUBSCRIBED: "
                     "opted_in is not a subscription group state");
        break;
      default:
        AddViolation(&out, state_path,
                     absl::StrCat("not a known SubscriptionState value (got ",
                                  static_cast<int>(entry.subscription_state()), ")"));
        break;
    }
    if (entry.external_ids_size() == 0 && entry.emails_size() == 0 && entry.phones_size() == 0) {
      AddViolation(&out, FieldPath(path, "external_ids"),
                   "at least one id is required across external_ids, emails and phones");
    }
    if (entry.emails_size() > 0 && entry.phones_size() > 0) {
      AddViolation(&out, FieldPath(path, "phones"),
                   "not allowed with emails in the same entry: Braze takes emails or phones, "
                   "not both; put them in separate entries");
    }
    const std::string external_ids_path = FieldPath(path, "external_ids");
    for (int j = 0; j < entry.external_ids_size(); ++j) {
      CheckExternalId(entry.external_ids(j), IndexPath(external_ids_path, j), &out);
    }
    const std::string emails_path = FieldPath(path, "emails");
    for (int j = 0; j < entry.emails_size(); ++j) {
      CheckEmailAddress(entry.emails(j), IndexPath(emails_path, j), &out);
    }
    const std::string phones_path = FieldPath(path, "phones");
    for (int j = 0; j < entry.phones_size(); ++j) {
      CheckPhoneNumber(entry.phones(j), IndexPath(phones_path, j), default_phone_region, &out);
    }
    AddItemViolations("subscription_groups", i, std::move(out), &result);
  }
  return result;
}

// ---- Phones to E.164 ----

absl::Status NormalizeActionPhones(v1::SetSubscriptionStatusRequest* request,
                                   const std::string& region) {
  for (int i = 0; i < request->subscription_groups_size(); ++i) {
    v1::SubscriptionGroupStatus* entry = request->mutable_subscription_groups(i);
    const std::string phones_path = FieldPath(IndexPath("subscription_groups", i), "phones");
    for (int j = 0; j < entry->phones_size(); ++j) {
      absl::Status status =
          NormalizePhoneInPlace(entry->mutable_phones(j), IndexPath(phones_path, j), region);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace brazesync
