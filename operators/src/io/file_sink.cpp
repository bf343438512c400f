#include <string>

#include "streamweave/engine/errors.hpp"
#include "streamweave/operators/write_lines.hpp"

namespace sw::detail {

void require_one_instance(const InstanceContext& ctx) {
  if (ctx.parallelism != 1) {
    throw GraphError("node '" + *ctx.node + "': a file sink writes one file, so its parallelism " +
                     "must be 1 (it is " + std::to_string(ctx.parallelism) + ")");
  }
}

}  // namespace sw::detail
