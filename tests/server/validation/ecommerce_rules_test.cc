// Table-driven tests for the eCommerce event schemas (ecommerce_rules.h,
// docs/braze-rules.md "eCommerce events"), through ValidateEvent so that each
// mistake is reported exactly once together with the ordinary property rules.
#include "server/validation/ecommerce_rules.h"

#include <functional>
#include <string>
#include <vector>

#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/validation/validator.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Struct Parse(const std::string& json) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok()) << json;
  return object;
}

constexpr char kProduct[] =
    R"({"product_id":"632910392","product_name":"Wireless Headphones","variant_id":"808950810",
        "quantity":1,"price":199.98,"metadata":{"sku":"WH-BLK-PRO"}})";

// Braze's own examples, one per event.
std::string Example(const std::string& event) {
  const std::string products = std::string("[") + kProduct + "]";
  if (event == "ecommerce.product_viewed") {
    return R"({"product_id":"4111176","product_name":"Torchie runners","variant_id":"4111176700",
               "image_url":"https://braze-apparel.com/a.jpg","product_url":"https://b.com/p",
               "price":85,"currency":"GBP","source":"https://braze-apparel.com/",
               "type":["price_drop","back_in_stock"],"metadata":{"color":"ORANGE"}})";
  }
  if (event == "ecommerce.cart_updated") {
    return R"({"cart_id":"cart_12345","currency":"USD","total_value":199.98,
               "subtotal_value":179.98,"tax":15,"shipping":5,"action":"add","products":)" +
           products + R"(,"source":"https://braze-apparel.com","metadata":{}})";
  }
  if (event == "ecommerce.checkout_started") {
    return R"({"checkout_id":"checkout_abc123","cart_id":"cart_12345","total_value":199.98,
               "currency":"USD","products":)" +
           products + R"(,"source":"https://braze-audio.com",
               "metadata":{"checkout_url":"https://checkout.braze-audio.com/abc123"}})";
  }
  std::string extra =
      event == "ecommerce.order_cancelled" ? R"("cancel_reason":"customer changed mind",)" : "";
  if (event == "ecommerce.order_placed") extra = R"("cart_id":"cart_12345",)";
  return R"({"order_id":"order_67890",)" + extra +
         R"("total_value":189.98,"currency":"USD","total_discounts":10,
            "discounts":[{"code":"SAVE10","amount":10}],"products":)" +
         products + R"(,"source":"https://braze-audio.com",
            "metadata":{"order_number":"ORD-2024-001234","tags":["electronics","audio"]}})";
}

struct Case {
  std::string name;
  std::string event;
  std::function<void(Struct*)> mutate;
  std::string field = "";  // empty: valid
  std::string description = "";
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Value& Field(Struct* object, const std::string& key) { return (*object->mutable_fields())[key]; }

Struct& FirstProduct(Struct* p) {
  return *Field(p, "products").mutable_list_value()->mutable_values(0)->mutable_struct_value();
}

const std::string kProps = "events[3].properties";

std::vector<Case> MoreCases() {
  const std::string placed = "ecommerce.order_placed";
  const std::string viewed = "ecommerce.product_viewed";
  const std::string cart = "ecommerce.cart_updated";
  return {
      {"MissingOrderId", placed, [](Struct* p) { p->mutable_fields()->erase("order_id"); },
       kProps + ".order_id", "required on ecommerce.order_placed"},
      {"MissingCancelReason", "ecommerce.order_cancelled",
       [](Struct* p) { p->mutable_fields()->erase("cancel_reason"); }, kProps + ".cancel_reason",
       "required on ecommerce.order_cancelled"},
      {"ExtraTopLevelProperty", placed, [](Struct* p) { Field(p, "coupon").set_string_value("X"); },
       kProps + ".coupon", "not allowed on ecommerce.order_placed (custom data goes in metadata)"},
      {"ShopifyFieldAtTopLevel", placed,
       [](Struct* p) { Field(p, "order_number").set_string_value("1"); }, kProps + ".order_number",
       "not allowed"},
      {"CancelReasonOnlyOnCancelled", placed,
       [](Struct* p) { Field(p, "cancel_reason").set_string_value("x"); },
       kProps + ".cancel_reason", "not allowed"},
      {"LowerCaseCurrency", placed, [](Struct* p) { Field(p, "currency").set_string_value("usd"); },
       kProps + ".currency", "ISO 4217 currency code in upper case"},
      {"FundCurrency", placed, [](Struct* p) { Field(p, "currency").set_string_value("XAU"); },
       kProps + ".currency", "(got \"XAU\")"},
      {"CurrencyNumber", placed, [](Struct* p) { Field(p, "currency").set_number_value(840); },
       kProps + ".currency", "ISO 4217"},
      {"TotalValueString", placed,
       [](Struct* p) { Field(p, "total_value").set_string_value("10"); }, kProps + ".total_value",
       "must be a number"},
      {"NegativeTotal", placed, [](Struct* p) { Field(p, "total_value").set_number_value(-1); },
       kProps + ".total_value", "must be at least 0 (got -1)"},
      {"BlankOrderId", placed, [](Struct* p) { Field(p, "order_id").set_string_value("  "); },
       kProps + ".order_id", "must not be empty or blank"},
      {"NullOptional", placed,
       [](Struct* p) { Field(p, "cart_id").set_null_value(google::protobuf::NULL_VALUE); },
       kProps + ".cart_id", "must be a string"},
      {"NoProducts", placed, [](Struct* p) { Field(p, "products").mutable_list_value()->Clear(); },
       kProps + ".products", "must hold at least 1 product"},
      {"ProductsNotAList", placed, [](Struct* p) { Field(p, "products").set_string_value("x"); },
       kProps + ".products", "must be a list of products"},
      {"ProductNotAnObject", placed,
       [](Struct* p) {
         Field(p, "products").mutable_list_value()->mutable_values(0)->set_number_value(1);
       },
       kProps + ".products[0]", "must be a product object"},
      {"ProductMissingVariant", placed,
       [](Struct* p) { FirstProduct(p).mutable_fields()->erase("variant_id"); },
       kProps + ".products[0].variant_id", "required on a product of ecommerce.order_placed"},
      {"ProductFractionalQuantity", placed,
       [](Struct* p) { Field(&FirstProduct(p), "quantity").set_number_value(1.5); },
       kProps + ".products[0].quantity", "must be an integer (got 1.5)"},
      {"ProductNegativeQuantity", placed,
       [](Struct* p) { Field(&FirstProduct(p), "quantity").set_number_value(-1); },
       kProps + ".products[0].quantity", "must be at least 0"},
      {"ProductZeroQuantity", cart,
       [](Struct* p) { Field(&FirstProduct(p), "quantity").set_number_value(0); }},
      {"ProductExtraKey", placed,
       [](Struct* p) { Field(&FirstProduct(p), "sku").set_string_value("x"); },
       kProps + ".products[0].sku", "not allowed on a product of ecommerce.order_placed"},
      {"ProductMetadataNotObject", placed,
       [](Struct* p) { Field(&FirstProduct(p), "metadata").set_string_value("x"); },
       kProps + ".products[0].metadata", "must be an object"},
      {"DiscountNotObject", placed,
       [](Struct* p) {
         Field(p, "discounts").mutable_list_value()->mutable_values(0)->set_string_value("x");
       },
       kProps + ".discounts[0]", "must be an object"},
      {"EmptyDiscounts", placed,
       [](Struct* p) { Field(p, "discounts").mutable_list_value()->Clear(); }},
      {"BadCartAction", cart, [](Struct* p) { Field(p, "action").set_string_value("clear"); },
       kProps + ".action", "must be one of \"add\", \"remove\", \"replace\""},
      {"BadViewedType", viewed,
       [](Struct* p) {
         Field(p, "type").mutable_list_value()->mutable_values(0)->set_string_value("sale");
       },
       kProps + ".type[0]", "must be one of \"back_in_stock\", \"price_drop\""},
      {"EmptyViewedType", viewed, [](Struct* p) { Field(p, "type").mutable_list_value()->Clear(); },
       kProps + ".type", "at least one of"},
      {"ViewedHasNoProducts", viewed,
       [](Struct* p) {
         Field(p, "products").mutable_list_value()->add_values()->set_number_value(1);
       },
       kProps + ".products", "not allowed on ecommerce.product_viewed"},
      // The ordinary property rules still apply, once.
      {"LongStringReportedOnce", placed,
       [](Struct* p) { Field(p, "order_id").set_string_value(std::string(256, 'x')); },
       kProps + ".order_id", "at most 255 characters"},
      {"DollarMetadataKeyReportedOnce", placed,
       [](Struct* p) {
         (*Field(p, "metadata").mutable_struct_value()->mutable_fields())["$x"].set_number_value(1);
       },
       kProps + ".metadata.$x", "must not start with \"$\""},
  };
}

class EcommerceRulesTest : public testing::TestWithParam<Case> {};

TEST_P(EcommerceRulesTest, ReportsExactlyTheExpectedViolation) {
  const Case& test = GetParam();
  v1::Event event;
  event.mutable_user()->set_external_id("u1");
  event.set_name(test.event);
  *event.mutable_properties() = Parse(Example(test.event));
  test.mutate(event.mutable_properties());
  FieldViolations violations;
  ValidateEvent(event, "events[3]", ValidationLimits(), &violations);
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const char* event :
       {"ecommerce.product_viewed", "ecommerce.cart_updated", "ecommerce.checkout_started",
        "ecommerce.order_placed", "ecommerce.order_cancelled", "ecommerce.order_refunded"}) {
    cases.push_back({std::string("BrazeExample_") + (event + 10), event, [](Struct*) {}});
  }
  for (Case& c : MoreCases()) cases.push_back(std::move(c));
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Cases, EcommerceRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(EcommerceRulesTest, OnlyTheSixExactNamesAreSchemaChecked) {
  EXPECT_TRUE(IsEcommerceEventName("ecommerce.order_placed"));
  EXPECT_FALSE(IsEcommerceEventName("ecommerce.checkoutStarted"));
  EXPECT_FALSE(IsEcommerceEventName("Ecommerce.order_placed"));
  EXPECT_FALSE(IsEcommerceEventName("order_placed"));
  // An unknown "ecommerce." name is an ordinary custom event.
  v1::Event event;
  event.mutable_user()->set_external_id("u1");
  event.set_name("ecommerce.checkoutStarted");
  (*event.mutable_properties()->mutable_fields())["anything"].set_number_value(1);
  FieldViolations violations;
  ValidateEvent(event, "events[0]", ValidationLimits(), &violations);
  EXPECT_THAT(violations, IsEmpty());
}

TEST(EcommerceRulesTest, AnEventWithoutPropertiesMissesEveryRequiredOne) {
  v1::Event event;
  event.mutable_user()->set_external_id("u1");
  event.set_name("ecommerce.order_refunded");
  FieldViolations violations;
  ValidateEvent(event, "events[0]", ValidationLimits(), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("events[0].properties.order_id", "required"),
                                      Violation("events[0].properties.total_value", "required"),
                                      Violation("events[0].properties.currency", "required"),
                                      Violation("events[0].properties.products", "required"),
                                      Violation("events[0].properties.source", "required")));
}

}  // namespace
}  // namespace brazesync
