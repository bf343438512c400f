#include "wordcount.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "sample_file.hpp"

namespace sw::examples {

namespace {

bool is_letter(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

void write_sample_text(const std::string& path, std::uint64_t words, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  static constexpr const char* kSyllables[] = {"the", "an", "ing", "er", "on", "re", "in", "ed",
                                               "nd",  "ha", "at",  "en", "es", "of", "or", "nt",
                                               "ea",  "ti", "to",  "it", "st", "io", "le", "is"};
  constexpr std::size_t kSyllableCount = sizeof kSyllables / sizeof kSyllables[0];
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 20000; ++i) {
    std::string word;
    const int syllables = 1 + static_cast<int>(random() % 4);
    for (int s = 0; s < syllables; ++s) word += kSyllables[random() % kSyllableCount];
    vocabulary.push_back(std::move(word));
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string line;
  bool sentence_start = true;
  for (std::uint64_t w = 0; w < words; ++w) {
    if ((w & 0xFFFF) == 0) throw_if_stop_requested();
    // Log-uniform ranks: a few words very frequent, most rare (as in real text).
    const auto rank = static_cast<std::size_t>(
        std::pow(static_cast<double>(vocabulary.size()), unit(random)) - 1.0);
    std::string word = vocabulary[std::min(rank, vocabulary.size() - 1)];
    if (sentence_start) word[0] = static_cast<char>(word[0] - 'a' + 'A');
    sentence_start = false;
    line += word;
    switch (random() % 16) {
      case 0:
        line += ". ";
        sentence_start = true;
        break;
      case 1:
        line += ", ";
        break;
      case 2:
        line += "'s ";
        break;
      case 3:
        line += " " + std::to_string(random() % 2000) + " ";
        break;
      case 4:
        line += " -- ";
        break;
      default:
        line += ' ';
    }
    if (line.size() > 70) {
      line += random() % 8 == 0 ? "\r\n" : "\n";
      out << line;
      line.clear();
    }
  }
  out << line << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

ResultPrinter build_wordcount(Graph& g, const PipelineConfig& config) {
  std::shared_ptr<SampleFile> sample;
  const std::string input = input_or_sample(
      config.input, "streamweave-wordcount",
      [&](const std::string& path) { write_sample_text(path, config.events); }, sample);
  using Count = KeyValue<Symbol, std::uint64_t>;
  auto counts = std::make_shared<std::vector<Count>>();
  // A text file (or standard input), or the lines clients send to a port (tcp://), whose
  // longest line is capped at the longest frame TCP input can have.
  auto lines =
      input.starts_with("tcp://")
          ? g.source("lines",
                     read_tcp(input, {.max_frame = std::min(config.max_line_bytes, kMaxTcpFrame)}))
          : g.source("lines", read_lines(input, {.max_record_bytes = config.max_line_bytes}));
  auto words = lines.flat_map<Symbol>("words", [](const Str& line, const Emitter<Symbol>& emit) {
    // Words are interned: no allocation per word, 8-byte keys, O(1) hashing.
    const std::string_view text = line.view();
    for (std::size_t i = 0; i < text.size();) {
      if (!is_letter(text[i])) {
        ++i;
        continue;
      }
      const std::size_t begin = i;
      while (i < text.size() && is_letter(text[i])) ++i;
      emit(Symbol(text.substr(begin, i - begin)));
    }
  });
  auto per_word = words.key_by([](Symbol w) { return w; })
                      .combine(
                          "count", std::uint64_t{0}, [](std::uint64_t n, Symbol) { return n + 1; },
                          [](std::uint64_t a, std::uint64_t b) { return a + b; });
  per_word.sink("top", collect(*counts), {.parallelism = 1});
  if (!config.output.empty()) {
    auto lines_out = per_word.map(
        "format", [](const Count& c) { return fmt::format("{} {}", c.value, c.key.view()); });
    if (config.output.starts_with("tcp://")) {
      lines_out.sink("out", write_tcp(config.output));  // to a server
    } else {
      lines_out.sink("out", write_lines(config.output));
    }
  }
  return [counts, sample](std::ostream& out, const RunReport& report) {
    std::sort(counts->begin(), counts->end(), [](const Count& a, const Count& b) {
      return a.value != b.value ? a.value > b.value : a.key < b.key;
    });
    out << fmt::format("{} words, {} distinct, from {} lines\n", report.node("words").items_out,
                       counts->size(), report.node("lines").items_out);
    out << "top words:\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(10, counts->size()); ++i) {
      out << fmt::format("  {:>10}  {}\n", (*counts)[i].value, (*counts)[i].key.view());
    }
  };
}

}  // namespace sw::examples
