// The wordcount sample: the words of a text file (maximal runs of ASCII letters, case kept,
// as `tr -cs 'A-Za-z' '\n'` splits them), counted per word; the top ten printed.
#pragma once

#include <cstdint>
#include <string>

#include "pipelines.hpp"

namespace sw::examples {

// Adds lines -> words -> count per word to `g`; reads config.input (or a generated sample of
// config.events words); writes "count word" lines to config.output when set.
ResultPrinter build_wordcount(Graph& g, const PipelineConfig& config);

// Writes about `words` words of English-looking text to `path` (a word frequency like real
// text's, capitals, punctuation and numbers between): the same text for the same arguments.
void write_sample_text(const std::string& path, std::uint64_t words, std::uint64_t seed = 1);

}  // namespace sw::examples
