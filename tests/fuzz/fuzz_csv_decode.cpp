// libFuzzer target: a CSV record of arbitrary bytes never crashes the parser (it reads or
// throws CsvError); whatever it reads, written back as a record, reads back to the same value.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <streamweave/operators/csv.hpp>
#include <string>

namespace {

enum class Color { red, green };
BOOST_DESCRIBE_ENUM(Color, red, green)

struct Row {
  std::int64_t id = 0;
  double amount = 0;
  std::string text;
  std::optional<std::int32_t> count;
  bool flag = false;
  sw::Str slice;
  Color color = Color::red;
  bool operator==(const Row&) const = default;
};
BOOST_DESCRIBE_STRUCT(Row, (), (id, amount, text, count, flag, slice, color))

std::string write(const Row& row) {
  std::string out;
  bool first = true;
  boost::mp11::mp_for_each<boost::describe::describe_members<Row, boost::describe::mod_public>>(
      [&](auto member) {
        if (!first) out.push_back(',');
        first = false;
        sw::detail::csv::write_field(out, row.*member.pointer, ',');
      });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sw::CsvParser<Row> parser({}, {.delimiter = ',', .header = false}, "fuzz");
  const sw::Str record(std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    (void)sw::detail::csv::split_header(record.view(), ',');
  } catch (const std::invalid_argument&) {  // its documented error for bad quoting
  }
  try {
    const Row row = parser(record);
    if (std::isnan(row.amount)) return 0;  // NaN != NaN: nothing to compare
    const Row again = parser(sw::Str(write(row)));
    if (!(again == row)) std::abort();
  } catch (const sw::CsvError&) {
  }
  return 0;
}
