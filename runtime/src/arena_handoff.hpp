// Internal: the functor handed to tbb::task_arena::enqueue. It is alone in this file on
// purpose: libtbb is not built with ThreadSanitizer, so TSan cannot see that the task
// object TBB builds around this functor is published to the worker safely, and reports the
// worker's reads of `run` and `task` below. tests/tsan.supp suppresses races in this file
// only; everything the functor leads to is synchronised by the runtime itself.
#pragma once

namespace sw::runtime {

class RunContext;
class Task;

struct ArenaHandoff {
  RunContext* run;
  Task* task;
  void operator()() const;  // defined in run_context.cpp
  // The two reads TSan cannot see ordered.
  [[nodiscard]] RunContext& run_context() const noexcept { return *run; }
  [[nodiscard]] Task& target() const noexcept { return *task; }
};

}  // namespace sw::runtime
