// The whole public API — the header of the `streamweave` target, which links every layer: the
// graph builder, every operator, sw::run and distributed mode's sw::cluster(), and serde (bytes,
// strings, the binary codec, frames). The JSON codec pulls in simdjson: include
// <streamweave/serde/json.hpp> (or <streamweave/operators/json_lines.hpp>, the JSON-lines source
// and sink) where it is used.
#pragma once

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/plan.hpp"
#include "streamweave/engine/stream.hpp"
#include "streamweave/operators/aggregate.hpp"
#include "streamweave/operators/collect.hpp"
#include "streamweave/operators/consumer.hpp"
#include "streamweave/operators/count.hpp"
#include "streamweave/operators/csv.hpp"
#include "streamweave/operators/discard.hpp"
#include "streamweave/operators/filter.hpp"
#include "streamweave/operators/flat_map.hpp"
#include "streamweave/operators/for_each.hpp"
#include "streamweave/operators/from.hpp"
#include "streamweave/operators/generate.hpp"
#include "streamweave/operators/inspect.hpp"
#include "streamweave/operators/join.hpp"
#include "streamweave/operators/map.hpp"
#include "streamweave/operators/measure_latency.hpp"
#include "streamweave/operators/merge.hpp"
#include "streamweave/operators/postgresql.hpp"
#include "streamweave/operators/producer.hpp"
#include "streamweave/operators/read_lines.hpp"
#include "streamweave/operators/redis_stream.hpp"
#include "streamweave/operators/tcp.hpp"
#include "streamweave/operators/transform.hpp"
#include "streamweave/operators/watermarks.hpp"
#include "streamweave/operators/window.hpp"
#include "streamweave/operators/write_lines.hpp"
#include "streamweave/runtime/distributed.hpp"
#include "streamweave/runtime/run.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/codec_registry.hpp"
#include "streamweave/serde/fingerprint.hpp"
#include "streamweave/serde/frame.hpp"
#include "streamweave/serde/mapped_file.hpp"
#include "streamweave/serde/memory_monitor.hpp"
#include "streamweave/serde/message.hpp"
#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"

namespace sw {

// The operators' fluent methods: one mixin per operator, from its header. Registering an
// operator with a fluent method is one line here (docs/architecture.md, "Adding an operator").
template <class Self, class T>
struct StreamMethods : MapMethods<Self, T>,
                       FilterMethods<Self, T>,
                       FlatMapMethods<Self, T>,
                       InspectMethods<Self, T>,
                       MeasureLatencyMethods<Self, T>,
                       TransformMethods<Self, T>,
                       WatermarkMethods<Self, T>,
                       MergeMethods<Self, T>,
                       WindowAllMethods<Self, T>,
                       JoinMethods<Self, T> {};

template <class Self, class T, class KeyFn>
struct KeyedStreamMethods : AggregateMethods<Self, T, KeyFn>, WindowMethods<Self, T, KeyFn> {};

}  // namespace sw
