#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

namespace {

// The session whose tasks this thread is running (its communication thread), or null.
thread_local Session* running_tasks_of = nullptr;

}  // namespace

Session::Session(const Graph& graph, const RunOptions& options, RunContext& run, MpiWorld& world)
    : graph_(&graph),
      options_(&options),
      run_(&run),
      world_(&world),
      rank_(world.info().rank),
      ranks_(world.info().ranks) {}

Session::~Session() {
  if (serving_.valid()) {
    finish_requested_.store(true, std::memory_order_release);
    wake_comm();
    serving_.wait();
  }
  if (data_ != MPI_COMM_NULL && !lost_.load(std::memory_order_acquire)) {
    world_
        ->submit([this] {
          MPI_Comm_free(&data_);
          MPI_Comm_free(&control_);
          MPI_Comm_free(&heartbeat_);
        })
        .wait();
  }
}

void Session::open(const Built& built) {
  routes_ = std::make_unique<RouteTable>(*graph_, built);
  exchange_ = std::make_unique<FrameExchange>(*routes_, *options_, *run_, world_->info(), *this,
                                              *this, mpi());
  if (!mpi()) return;
  const std::uint64_t mine = graph_fingerprint(*graph_, built.plan);
  std::vector<std::uint64_t> all(ranks_, 0);
  constexpr std::size_t kHostBytes = 64;
  std::vector<char> hosts(kHostBytes * ranks_, '\0');
  std::array<char, kHostBytes> host{};
  world_->info().host.copy(host.data(), kHostBytes - 1);
  world_
      ->submit([&] {
        MPI_Comm_dup(MPI_COMM_WORLD, &data_);
        MPI_Comm_dup(MPI_COMM_WORLD, &control_);
        MPI_Comm_dup(MPI_COMM_WORLD, &heartbeat_);
        MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, control_);
        MPI_Allgather(host.data(), kHostBytes, MPI_CHAR, hosts.data(), kHostBytes, MPI_CHAR,
                      control_);
      })
      .get();
  std::vector<std::string> host_of;  // by rank, for PeerLost
  for (unsigned r = 0; r < ranks_; ++r) host_of.emplace_back(hosts.data() + r * kHostBytes);
  heartbeats_ =
      std::make_unique<Heartbeats>(heartbeat_, rank_, options_->distributed.heartbeat_interval,
                                   options_->distributed.heartbeat_timeout, std::move(host_of));
  transport_ = std::make_unique<MpiTransport>(data_, control_, ranks_, run_->buffer_pool());
  credits_ = std::make_unique<CreditLedger>(ranks_, routes_->size());
  termination_ = std::make_unique<Termination>(*transport_, *run_, rank_, ranks_);
  check_same_graph(*graph_, all);
}

void Session::start() {
  if (!mpi()) return;
  // More ranks on this machine than hardware threads they may run on: a rank's thread that
  // polls, or that runs its tasks between polls, takes the core another rank needs (Open MPI
  // yields when idle in that case too). With three ranks on two cores, tasks on the
  // communication thread made the distributed tests several times slower.
  const bool oversubscribed = world_->info().ranks_on_host > world_->info().cpus_on_host;
  // Not after a failed build either: its cancellation already woke tasks on the arena, and
  // nothing would wait for tasks left on this thread.
  const bool runs_tasks = options_->distributed.tasks_on_comm_thread && options_->threads == 1 &&
                          !oversubscribed && !run_->cancelled();
  if (runs_tasks) run_->run_tasks_on(*this);
  pacing_ = std::make_unique<CommPacing>(
      oversubscribed ? Clock::duration::zero() : Clock::duration(options_->distributed.poll_window),
      runs_tasks);
  serving_ = world_->submit([this] { serve(); });
}

void Session::enqueue(Task& task) {
  if (!ready_.enqueue(&task)) throw std::bad_alloc();
  wake_comm();
}

bool Session::run_ready_tasks() {
  // Between two rounds of MPI calls, run tasks for about this long (a task's step may take
  // up to its time slice): MPI moves a message only inside MPI calls.
  constexpr auto kTurn = std::chrono::microseconds(200);
  Task* task = nullptr;
  if (!ready_.try_dequeue(task)) return false;
  const auto start = Clock::now();
  running_tasks_of = this;
  do {
    run_->execute(*task);
  } while (Clock::now() - start < kTurn && ready_.try_dequeue(task));
  running_tasks_of = nullptr;
  return true;
}

void Session::return_credit(int rank, std::uint32_t route) noexcept {
  credits_->owe(rank, route);
  after_enqueue();
}

void Session::post(moodycamel::ProducerToken& token, Outgoing&& out) {
  outgoing_.enqueue(token, std::move(out));
  after_enqueue();
}

void Session::after_enqueue() noexcept {
  if (running_tasks_of == this) {
    progress_from_task();
  } else {
    wake_comm();
  }
}

void Session::progress_from_task() noexcept {
  // A task on this thread that posts a frame or frees a credit moves MPI on at once (at most
  // this often): the frame leaves, the credit returns and a peer's rendezvous is answered
  // while the task goes on, instead of after its whole step (docs/benchmarks.md: the 64 KiB
  // exchange); much more often, the MPI calls cost more than they gain on small frames.
  constexpr auto kEvery = std::chrono::microseconds(5);
  const Clock::time_point now = Clock::now();
  if (now - last_task_progress_ < kEvery) return;
  last_task_progress_ = now;
  try {
    (void)pump_messages();
  } catch (...) {
    fail(std::current_exception());
  }
}

bool Session::pump_messages() {
  bool progress = false;
  Outgoing out;
  while (outgoing_.try_dequeue(out)) {
    progress = true;
    transport_->send(std::move(out));
  }
  progress = send_checkpoint_messages() || progress;
  progress = credits_->send(*transport_) || progress;
  return transport_->poll(*this) || progress;
}

bool Session::send_checkpoint_messages() {
  bool sent = false;
  std::pair<unsigned, ControlMessage> control;
  while (control_out_.try_dequeue(control)) {
    sent = true;
    // Once the sends are closed the peers count on no more: what a coordinator still says
    // then is about a run that is over.
    if (!termination_->sends_closed()) {
      transport_->send_control(static_cast<int>(control.first), control.second);
    }
  }
  return sent;
}

void Session::wake_comm() noexcept {
  if (pacing_) pacing_->wake();
}

void Session::fail(std::exception_ptr error) noexcept {
  run_->fail(std::move(error));
}

void Session::reject(int peer, std::string edge, const std::string& why) noexcept {
  fail(std::make_exception_ptr(ExchangeError(rank_, peer, std::move(edge), why)));
}

void Session::on_control(int peer, const Bytes& bytes) {
  heartbeats_->heard(peer, Clock::now());
  ControlMessage control;
  try {
    control = parse_control(bytes);
  } catch (const FrameError& e) {
    return reject(peer, "(control)", e.what());
  }
  if (const auto* abort = std::get_if<AbortMessage>(&control)) {
    termination_->on_abort(peer, *abort);
  } else if (const auto* credits = std::get_if<CreditMessage>(&control)) {
    try {
      take_credits(*routes_, rank_, peer, *credits);
    } catch (...) {
      fail(std::current_exception());
    }
  } else if (!std::holds_alternative<EndOfStreamMessage>(control)) {
    std::lock_guard lock(listener_mutex_);
    if (checkpoint_listener_ == nullptr) {
      return reject(peer, "(control)", "a checkpoint message, but this rank takes no checkpoints");
    }
    checkpoint_listener_->on_checkpoint_message(static_cast<unsigned>(peer), control);
  } else {
    reject(peer, "(control)", "end-of-stream on the control channel, not after its frames");
  }
}

void Session::on_data(int peer, bool is_frame, const Bytes& bytes) {
  heartbeats_->heard(peer, Clock::now());
  if (finish_requested_.load(std::memory_order_acquire)) return;  // the consumers are done
  try {
    if (is_frame) {
      routes_->deliver_frame(peer, bytes, options_->distributed.max_frame_bytes, rank_);
    } else {
      routes_->deliver_end(peer, bytes, rank_);
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void Session::serve() {
  try {
    serve_run();
    serve_end();
  } catch (const PeerLost&) {
    lost_.store(true, std::memory_order_release);
    fail(std::current_exception());
    serve_lost();
    throw;
  }
}

void Session::serve_lost() {
  // No MPI call can end while the lost rank holds the other end; the rank's tasks, which
  // the failure cancelled, may still need this thread to finish.
  while (!finish_requested_.load(std::memory_order_acquire)) {
    if (!run_ready_tasks()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Session::serve_end() {
  // Every rank's report; then the last heartbeats, so that none is left unreceived.
  reports_.gather(control_, ranks_, *heartbeats_);
  heartbeats_->close();
  while (!heartbeats_->drained()) {
    heartbeats_->pump(Clock::now());
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  MPI_Comm_free(&data_);
  MPI_Comm_free(&control_);
  MPI_Comm_free(&heartbeat_);
}

void Session::serve_run() {
  unsigned idle = 0;
  Clock::time_point last_progress = Clock::now();
  for (;;) {
    const bool finishing = finish_requested_.load(std::memory_order_acquire);
    // What the coordinator said before the run stopped goes before the abort (a savepoint's
    // completion, which the peers wait for).
    if (run_->cancelled()) (void)send_checkpoint_messages();
    termination_->send_abort_if_failed();
    heartbeats_->pump(Clock::now());
    bool progress = pump_messages();
    progress = run_ready_tasks() || progress;
    progress = termination_->close_sends(finishing) || progress;
    if (termination_->everything_arrived()) return;
    if (progress) {
      idle = 0;
      last_progress = Clock::now();
      continue;
    }
    pacing_->back_off(++idle, Clock::now() - last_progress, transport_->busy(), [&] {
      return outgoing_.size_approx() == 0 && control_out_.size_approx() == 0 &&
             !credits_->waiting() && ready_.size_approx() == 0 &&
             finish_requested_.load(std::memory_order_acquire) == finishing;
    });
  }
}

void Session::listen_for_checkpoints(CheckpointListener* listener) {
  std::lock_guard lock(listener_mutex_);
  checkpoint_listener_ = listener;
}

RestoreChoice Session::agree(RestoreChoice choice) {
  std::array<std::uint64_t, 3> values{choice.failed ? 1u : 0u, choice.restore_id, choice.next_id};
  world_->submit([&] { MPI_Bcast(values.data(), 3, MPI_UINT64_T, 0, control_); }).get();
  return RestoreChoice{values[0] != 0, values[1], values[2]};
}

void Session::send(unsigned to, ControlMessage message) {
  if (!control_out_.enqueue({to, std::move(message)})) throw std::bad_alloc();
  wake_comm();
}

std::vector<RankReport> Session::finish(const RankReport& mine) {
  if (!mpi()) return {mine};
  reports_.set_mine(mine);
  finish_requested_.store(true, std::memory_order_release);
  wake_comm();
  try {
    serving_.get();
  } catch (const PeerLost&) {
    // MPI cannot be finalised while a rank holds the other end of it: leave it, so that this
    // process can exit (and mpirun then ends the others).
    world_->abandon();
    throw;
  }
  return reports_.all();
}

}  // namespace sw::runtime
