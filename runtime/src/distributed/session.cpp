#include "session.hpp"

#include <array>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "streamweave/engine/errors.hpp"
#include "streamweave/runtime/distributed_errors.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/hash.hpp"

namespace sw::runtime {

namespace {

// Frames of items go on the data communicator; control messages (serde/control.hpp) too when
// they must stay in order with the frames (end-of-stream), else on the control one.
constexpr int kFrameTag = 1;
constexpr int kControlTag = 2;
constexpr std::size_t kNoRoute = std::numeric_limits<std::size_t>::max();

// Waits a fraction of a microsecond (32 `pause`s) without a system call. On a core shared
// with a sibling hyperthread, `pause` lends the sibling the pipeline, so a rank that polls
// does not slow the rank it waits for; sched_yield would run the scheduler on that core.
void spin_briefly() noexcept {
  for (int i = 0; i < 32; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

std::string edge_name(const Graph& graph, std::size_t e) {
  const EdgeSpec& edge = graph.edges().at(e);
  return "'" + graph.node(edge.from).name() + "' -> '" + graph.node(edge.to).name() + "'";
}

// The same on every rank that built the same graph.
std::uint64_t graph_fingerprint(const Graph& graph, const Plan& plan) {
  std::string text = graph.name();
  for (NodeId id = 0; id < graph.node_count(); ++id) {
    const NodeSpec& node = graph.node(id);
    text += fmt::format("|{}:{}:{}", node.name(), node.op(), plan.nodes[id].parallelism);
    for (std::size_t p = 0; p < node.port_count(); ++p) {
      text += ":";
      text += node.port(p).item_type_name();
    }
  }
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    const EdgeSpec& edge = graph.edges()[e];
    text += fmt::format("|{}.{}>{}:{}", edge.from, edge.port, edge.to,
                        to_string(plan.edges[e].partitioning));
  }
  return fnv1a64(text);
}

}  // namespace

struct Session::Op {
  bool receive = false;
  int peer = 0;
  int tag = 0;
  MPI_Request request = MPI_REQUEST_NULL;
  bool complete = false;
  bool finished = false;        // a send completed, or a receive delivered
  Bytes keep;                   // what a send sends
  std::vector<Splice> splices;  // ... with these values in place
  BytesMut buffer;              // what a receive fills
};

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
  const Plan& plan = built.plan;
  const auto& edges = graph_->edges();
  route_base_.assign(edges.size(), kNoRoute);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    if (!built.exchange[e]) continue;
    route_base_[e] = routes_.size();
    const unsigned consumers = plan.nodes[edges[e].to].parallelism;
    for (unsigned t = 0; t < consumers; ++t) {
      Route& route = routes_.emplace_back();
      route.edge = static_cast<std::uint32_t>(e);
      route.target = t;
      route.rank = built.placement.rank_of(t);
    }
  }
  if (!mpi()) return;
  sent_.assign(ranks_, 0);
  received_.assign(ranks_, 0);
  expected_.assign(ranks_, 0);
  arrivals_.resize(ranks_);
  owed_.assign(ranks_, std::vector<std::uint32_t>(routes_.size(), 0));
  credits_due_.assign(ranks_, false);

  const std::uint64_t mine = graph_fingerprint(*graph_, plan);
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
  for (unsigned r = 0; r < ranks_; ++r) {
    if (all[r] != all[0]) {
      throw GraphError(fmt::format(
          "graph '{}': rank {} built a different graph than rank 0 (fingerprint {:016x} vs "
          "{:016x}); every rank must build the same graph with the same settings",
          graph_->name(), r, all[r], all[0]));
    }
  }
}

void Session::add_receivers(const Graph& graph, Built& built) {
  const Plan& plan = built.plan;
  const FrameLimits limits{options_->distributed.max_frame_bytes,
                           options_->distributed.frame_bytes};
  for (std::size_t id = 0; id < routes_.size(); ++id) {
    Route& route = routes_[id];
    const EdgeSpec& edge = graph.edges()[route.edge];
    const std::size_t capacity = plan.nodes[edge.to].channel_capacity;
    if (route.rank != rank_) {
      const std::size_t credits =
          options_->distributed.credits != 0 ? options_->distributed.credits : capacity;
      route.window = std::make_unique<CreditWindow>(static_cast<std::int64_t>(credits));
      continue;
    }
    Task& consumer = *built.tasks_of[plan.nodes[edge.to].chain][route.target];
    const PortSpec& port = graph.node(edge.from).port(edge.port);
    BatchPoolBase& pool = run_->adopt(port.make_pool(run_->buffer_pool()));  // consumer-owned
    Inbox inbox(*port.codec(), pool, route.edge, route.target, plan.nodes[edge.from].parallelism,
                built.slot_base[route.edge], edge_name(graph, route.edge), rank_, limits);
    route.receiver = std::make_unique<FrameReceiver>(
        std::move(inbox), static_cast<std::uint32_t>(id), *this, capacity, consumer);
    consumer.add_receiver(*route.receiver);
    if (mpi()) route.comm_token.emplace(route.receiver->frames().queue());
  }
}

std::unique_ptr<BatchSender> Session::make_sender(const Graph& graph, const Built& built,
                                                  std::size_t edge, Task& producer,
                                                  unsigned instance) {
  const EdgeSpec& spec = graph.edges()[edge];
  const unsigned consumers = built.plan.nodes[spec.to].parallelism;
  std::vector<SenderTarget> targets(consumers);
  for (unsigned t = 0; t < consumers; ++t) {
    const std::size_t id = route_base_[edge] + t;
    Route& route = routes_[id];
    SenderTarget& target = targets[t];
    target.rank = static_cast<std::int32_t>(route.rank);
    target.route = static_cast<std::uint32_t>(id);
    switch (options_->distributed.payload_checksum) {
      case PayloadChecksum::always:
        target.checksum_payload = true;
        break;
      case PayloadChecksum::between_hosts:
        target.checksum_payload = !world_->info().on_this_host(route.rank);
        break;
      case PayloadChecksum::never:
        target.checksum_payload = false;
        break;
    }
    if (route.receiver != nullptr) {
      target.receiver = route.receiver.get();
      target.local_producer = producer.output_to(route.receiver->frames()).producer;
    } else {
      target.window = route.window.get();
      producer.gates.push_back(route.window.get());
      route.window->add_producer(producer);
    }
  }
  const PortSpec& port = graph.node(spec.from).port(spec.port);
  auto sender = std::make_unique<FrameSender>(*port.codec(), static_cast<std::uint32_t>(edge),
                                              instance, std::move(targets), *this,
                                              run_->buffer_pool(), options_->distributed);
  senders_.push_back(sender.get());
  return sender;
}

namespace {
// The session whose tasks this thread is running (its communication thread), or null.
thread_local Session* running_tasks_of = nullptr;
}  // namespace

void Session::start() {
  if (!mpi()) return;
  // More ranks on this machine than hardware threads they may run on: a rank's thread that
  // polls, or that runs its tasks between polls, takes the core another rank needs (Open MPI
  // yields when idle in that case too). With three ranks on two cores, tasks on the
  // communication thread made the distributed tests several times slower.
  oversubscribed_ = world_->info().ranks_on_host > world_->info().cpus_on_host;
  // Not after a failed build either: its cancellation already woke tasks on the arena, and
  // nothing would wait for tasks left on this thread.
  if (options_->distributed.tasks_on_comm_thread && options_->threads == 1 && !oversubscribed_ &&
      !run_->cancelled()) {
    run_->run_tasks_on(*this);
    runs_tasks_ = true;
  }
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
  credits_.enqueue({rank, route});
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
  bool progress = pump_outgoing();
  progress = pump_credits() || progress;
  progress = pump_receives() || progress;
  progress = pump_control() || progress;
  return pump_completions() || progress;
}

void Session::wake_comm() noexcept {
  if (comm_sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard lock(sleep_mutex_);
    sleep_cv_.notify_one();
  }
}

void Session::fail(std::exception_ptr error) noexcept {
  run_->fail(std::move(error));
}

void Session::isend(int peer, int tag, MPI_Comm comm, std::unique_ptr<Op> op, const void* data,
                    int count, MPI_Datatype type) {
  op->peer = peer;
  op->tag = tag;
  MPI_Isend(data, count, type, peer, tag, comm, &op->request);
  ++sent_[static_cast<std::size_t>(peer)];
  ops_.push_back(std::move(op));
}

void Session::isend_pieces(int peer, std::unique_ptr<Op> op) {
  // One message from the frame's pieces where they are: a derived datatype of absolute
  // addresses (MPI_BOTTOM), so MPI copies each piece straight into its transport, and the
  // receiver gets one contiguous frame. The type may be freed once the send is posted.
  std::vector<int> lengths;
  std::vector<MPI_Aint> addresses;
  auto add = [&](std::span<const std::byte> piece) {
    MPI_Aint address = 0;
    MPI_Get_address(piece.data(), &address);
    lengths.push_back(static_cast<int>(piece.size()));
    addresses.push_back(address);
  };
  detail::for_each_piece(op->keep.span(), op->splices, 0, add);
  MPI_Datatype type = MPI_DATATYPE_NULL;
  MPI_Type_create_hindexed(static_cast<int>(lengths.size()), lengths.data(), addresses.data(),
                           MPI_BYTE, &type);
  MPI_Type_commit(&type);
  isend(peer, kFrameTag, data_, std::move(op), MPI_BOTTOM, 1, type);
  MPI_Type_free(&type);
}

bool Session::pump_outgoing() {
  bool any = false;
  Outgoing out;
  while (outgoing_.try_dequeue(out)) {
    any = true;
    auto op = std::make_unique<Op>();
    if (out.frame.empty()) {
      send_control(out.rank, data_, EndOfStreamMessage{out.route, out.source});
    } else if (out.splices.empty()) {
      op->keep = std::move(out.frame);
      const void* data = op->keep.data();
      const int bytes = static_cast<int>(op->keep.size());
      isend(out.rank, kFrameTag, data_, std::move(op), data, bytes);
    } else {
      op->keep = std::move(out.frame);
      op->splices = std::move(out.splices);
      isend_pieces(out.rank, std::move(op));
    }
  }
  return any;
}

bool Session::pump_credits() {
  bool any = false;
  std::pair<std::int32_t, std::uint32_t> credit;
  while (credits_.try_dequeue(credit)) {
    any = true;
    ++owed_[static_cast<std::size_t>(credit.first)][credit.second];
    credits_due_[static_cast<std::size_t>(credit.first)] = true;
  }
  if (!any) return false;
  for (unsigned peer = 0; peer < ranks_; ++peer) {
    if (!credits_due_[peer]) continue;
    credits_due_[peer] = false;
    CreditMessage credits;
    for (std::size_t route = 0; route < routes_.size(); ++route) {
      if (owed_[peer][route] == 0) continue;
      credits.grants.push_back(
          CreditGrant{static_cast<std::uint32_t>(route), std::exchange(owed_[peer][route], 0)});
    }
    send_control(static_cast<int>(peer), control_, std::move(credits));
  }
  return true;
}

void Session::send_control(int peer, MPI_Comm comm, const ControlMessage& message) {
  auto op = std::make_unique<Op>();
  op->keep = encode_control(message, run_->buffer_pool());
  const void* data = op->keep.data();
  const int bytes = static_cast<int>(op->keep.size());
  isend(peer, kControlTag, comm, std::move(op), data, bytes);
}

void Session::send_abort_if_failed() {
  if (abort_sent_ || sends_closed_ || !run_->cancelled()) return;
  abort_sent_ = true;
  if (remote_cancel_) return;  // a peer told everyone
  // An error's text, or nothing for a cancellation (deadline, cancel token): the peers stop
  // too, instead of waiting for this rank's data.
  std::string message;
  if (const std::exception_ptr error = run_->error()) {
    try {
      std::rethrow_exception(error);
    } catch (const RemoteFailure&) {
      return;  // it came from a peer, which told everyone
    } catch (...) {
    }
    message = detail::describe(error);
    if (message.empty()) message = "(an exception without a message)";
  }
  for (unsigned peer = 0; peer < ranks_; ++peer) {
    if (peer != rank_) send_control(static_cast<int>(peer), control_, AbortMessage{message});
  }
}

namespace {
// Calls take(message, status, bytes) for every message waiting on `comm`; true if any.
template <class Take>
bool probe_all(MPI_Comm comm, Take&& take) {
  bool any = false;
  for (;;) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &message, &status);
    if (flag == 0) return any;
    any = true;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    take(message, status, count);
  }
}
}  // namespace

bool Session::pump_receives() {
  return probe_all(data_, [this](MPI_Message& message, const MPI_Status& status, int count) {
    auto op = std::make_unique<Op>();
    op->receive = true;
    op->peer = status.MPI_SOURCE;
    op->tag = status.MPI_TAG;
    op->buffer = BytesMut(static_cast<std::size_t>(std::max(count, 1)), run_->buffer_pool());
    std::byte* into = op->buffer.extend(static_cast<std::size_t>(count));
    MPI_Imrecv(into, count, MPI_BYTE, &message, &op->request);
    arrivals_[static_cast<std::size_t>(op->peer)].push_back(op.get());
    ops_.push_back(std::move(op));
  });
}

bool Session::pump_control() {
  return probe_all(control_, [this](MPI_Message& message, const MPI_Status& status, int count) {
    BytesMut buffer(static_cast<std::size_t>(std::max(count, 1)), run_->buffer_pool());
    MPI_Mrecv(buffer.extend(static_cast<std::size_t>(count)), count, MPI_BYTE, &message,
              MPI_STATUS_IGNORE);
    const int peer = status.MPI_SOURCE;
    ++received_[static_cast<std::size_t>(peer)];
    heartbeats_->heard(peer, Clock::now());
    ControlMessage control;
    try {
      control = parse_control(buffer.freeze());
    } catch (const FrameError& e) {
      fail(std::make_exception_ptr(ExchangeError(rank_, peer, "(control)", e.what())));
      return;
    }
    if (const auto* abort = std::get_if<AbortMessage>(&control)) {
      remote_cancel_ = true;
      if (abort->error.empty()) {
        run_->cancel();  // a peer was cancelled (deadline, cancel token)
      } else {
        fail(std::make_exception_ptr(RemoteFailure(static_cast<unsigned>(peer), abort->error)));
      }
    } else if (const auto* credits = std::get_if<CreditMessage>(&control)) {
      take_credits(peer, *credits);
    } else {
      fail(std::make_exception_ptr(ExchangeError(
          rank_, peer, "(control)", "end-of-stream on the control channel, not after its frames")));
    }
  });
}

void Session::take_credits(int peer, const CreditMessage& credits) {
  for (const CreditGrant& grant : credits.grants) {
    if (grant.route >= routes_.size() || !routes_[grant.route].window) {
      fail(std::make_exception_ptr(ExchangeError(
          rank_, peer, "(control)",
          fmt::format("credit for route {}, which this rank does not send on", grant.route))));
      return;
    }
    routes_[grant.route].window->returned(grant.frames);
  }
}

void Session::deliver(Op& op) {
  ++received_[static_cast<std::size_t>(op.peer)];
  heartbeats_->heard(op.peer, Clock::now());
  if (finish_requested_.load(std::memory_order_acquire)) return;  // the consumers are done
  const Bytes bytes = op.buffer.freeze();
  auto reject = [&](std::string edge, const std::string& why) {
    fail(std::make_exception_ptr(ExchangeError(rank_, op.peer, std::move(edge), why)));
  };
  std::size_t id = kNoRoute;
  IncomingFrame in;
  in.from_rank = op.peer;
  if (op.tag == kFrameTag) {
    try {
      in.header = read_frame_header(
          bytes, FrameLimits{.max_frame_bytes = options_->distributed.max_frame_bytes});
    } catch (const FrameError& e) {
      return reject("?", e.what());
    }
    const FrameHeader& h = *in.header;
    if (h.edge < route_base_.size() && route_base_[h.edge] != kNoRoute) {
      id = route_base_[h.edge] + h.target_instance;
      if (id >= routes_.size() || routes_[id].edge != h.edge) id = kNoRoute;
    }
    in.frame = bytes;
    if (id == kNoRoute || routes_[id].receiver == nullptr) {
      return reject(fmt::format("#{}", h.edge),
                    fmt::format("frame for instance {} of edge #{}, which is no exchange into "
                                "rank {}",
                                h.target_instance, h.edge, rank_));
    }
  } else {
    ControlMessage control;
    try {
      control = parse_control(bytes);
    } catch (const FrameError& e) {
      return reject("?", e.what());
    }
    const auto* end = std::get_if<EndOfStreamMessage>(&control);
    if (end == nullptr)
      return reject("?", "a control message other than end-of-stream among the frames");
    id = end->route;
    in.source = end->source;
    if (id >= routes_.size() || routes_[id].receiver == nullptr) {
      return reject("?", fmt::format("end-of-stream for route {}, which is no exchange into "
                                     "rank {}",
                                     id, rank_));
    }
  }
  Route& route = routes_[id];
  route.receiver->frames().push(*route.comm_token, kUncountedProducer, std::move(in));
}

bool Session::pump_completions() {
  if (ops_.empty()) return false;
  requests_.clear();
  waiting_.clear();
  for (auto& op : ops_) {
    if (op->complete) continue;
    requests_.push_back(op->request);
    waiting_.push_back(op.get());
  }
  bool any = false;
  if (!requests_.empty()) {
    indices_.resize(requests_.size());
    int done = 0;
    MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(), &done, indices_.data(),
                 MPI_STATUSES_IGNORE);
    for (int k = 0; k < done && done != MPI_UNDEFINED; ++k) {
      Op& op = *waiting_[static_cast<std::size_t>(indices_[static_cast<std::size_t>(k)])];
      op.complete = true;
      op.request = MPI_REQUEST_NULL;
      if (!op.receive) op.finished = true;
      any = true;
    }
  }
  // Receives complete in any order; deliver them per peer in the order they were matched,
  // which is the order they were sent: end-of-stream never overtakes data.
  for (auto& queue : arrivals_) {
    while (!queue.empty() && queue.front()->complete) {
      deliver(*queue.front());
      queue.front()->finished = true;
      queue.pop_front();
    }
  }
  std::erase_if(ops_, [](const std::unique_ptr<Op>& op) { return op->finished; });
  return any;
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

void Session::wait_with_heartbeats(MPI_Request& request) {
  for (;;) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done != 0) return;
    heartbeats_->pump(Clock::now());
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void Session::serve_end() {
  // Every rank's report, gathered without blocking in MPI, so that a rank lost now is
  // noticed too; then the last heartbeats, so that none is left unreceived.
  const int size = static_cast<int>(report_.size());
  report_sizes_.assign(ranks_, 0);
  report_offsets_.assign(ranks_, 0);
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallgather(&size, 1, MPI_INT, report_sizes_.data(), 1, MPI_INT, control_, &request);
  wait_with_heartbeats(request);
  int total = 0;
  for (unsigned r = 0; r < ranks_; ++r) {
    report_offsets_[r] = total;
    total += report_sizes_[r];
  }
  gathered_.resize(static_cast<std::size_t>(total));
  MPI_Iallgatherv(report_.data(), size, MPI_BYTE, gathered_.data(), report_sizes_.data(),
                  report_offsets_.data(), MPI_BYTE, control_, &request);
  wait_with_heartbeats(request);
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
    send_abort_if_failed();
    heartbeats_->pump(Clock::now());
    bool progress = pump_messages();
    progress = run_ready_tasks() || progress;
    progress = close_sends(finishing) || progress;
    if (sends_closed_ && everything_arrived()) return;
    if (progress) {
      idle = 0;
      last_progress = Clock::now();
      continue;
    }
    back_off(++idle, Clock::now() - last_progress, finishing);
  }
}

bool Session::close_sends(bool finishing) {
  if (!finishing || sends_closed_) return false;
  // Every local task is done and everything it posted was sent: from here on this rank sends
  // nothing, so it can tell each peer how many messages to wait for.
  send_abort_if_failed();
  sends_closed_ = true;
  MPI_Ialltoall(sent_.data(), 1, MPI_UINT64_T, expected_.data(), 1, MPI_UINT64_T, control_,
                &alltoall_);
  return true;
}

bool Session::everything_arrived() {
  if (!counts_known_) {
    int flag = 0;
    MPI_Test(&alltoall_, &flag, MPI_STATUS_IGNORE);
    counts_known_ = flag != 0;
  }
  return counts_known_ && ops_.empty() && received_ == expected_;
}

// While a send or receive is under way, only yield: MPI moves a message (a rendezvous above
// the eager size takes several steps) only inside MPI calls, so a sleep here would add its
// length to every frame. For the same reason keep polling for a while after the last
// progress: a peer streaming frames sends the next one within microseconds, and a receiver
// asleep does not take it (nor answer its rendezvous) until it wakes. Otherwise sleep, longer
// and longer (never a 100 % spin), cut short when a worker posts something.
void Session::back_off(unsigned idle, Clock::duration since_progress, bool finishing) {
  const Clock::duration poll_window = oversubscribed_
                                          ? Clock::duration::zero()
                                          : Clock::duration(options_->distributed.poll_window);
  // A message that has not moved for a while waits for its peer (stopped, slow, or far), and
  // polling it without pause would spin this core at 100 % for as long as that lasts.
  constexpr auto kStalled = std::chrono::milliseconds(2);
  if (idle < 16 || since_progress < poll_window || (!ops_.empty() && since_progress < kStalled)) {
    // A thread that runs the rank's tasks itself has its core to itself (else it yields to
    // the workers or the other ranks it shares cores with).
    if (runs_tasks_) {
      spin_briefly();
    } else {
      std::this_thread::yield();
    }
    return;
  }
  const auto pause = std::chrono::microseconds(std::min(100u, 10u << std::min(idle - 16, 4u)));
  comm_sleeping_.store(true, std::memory_order_seq_cst);
  {
    std::unique_lock lock(sleep_mutex_);
    if (outgoing_.size_approx() == 0 && credits_.size_approx() == 0 && ready_.size_approx() == 0 &&
        finish_requested_.load(std::memory_order_acquire) == finishing) {
      sleep_cv_.wait_for(lock, pause);
    }
  }
  comm_sleeping_.store(false, std::memory_order_seq_cst);
}

std::vector<RankReport> Session::finish(RankReport mine) {
  if (!mpi()) return {std::move(mine)};
  report_ = sw::encode(mine);
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
  std::vector<RankReport> all;
  for (unsigned r = 0; r < ranks_; ++r) {
    const auto* from = gathered_.data() + report_offsets_[r];
    all.push_back(sw::decode<RankReport>(Bytes::copy_of(
        std::span<const std::byte>(from, static_cast<std::size_t>(report_sizes_[r])))));
  }
  return all;
}

void Session::add_edge_reports(const Graph& graph, const Built& built, RankReport& report) const {
  const Plan& plan = built.plan;
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    if (!built.exchange[e]) continue;
    EdgeReport r;
    r.from = graph.node(graph.edges()[e].from).name();
    r.to = graph.node(graph.edges()[e].to).name();
    r.partitioning = std::string(to_string(plan.edges[e].partitioning));
    std::int64_t encode_ns = 0;
    std::int64_t decode_ns = 0;
    for (const FrameSender* sender : senders_) {
      if (sender->edge() != e) continue;
      r.frames_sent += sender->frames;
      r.bytes_sent += sender->bytes;
      r.remote_frames_sent += sender->remote_frames;
      encode_ns += sender->encode_ns;
    }
    for (const Route& route : routes_) {
      if (route.edge != e) continue;
      if (route.receiver) {
        const Inbox& inbox = route.receiver->inbox();
        r.frames_received += inbox.frames;
        r.bytes_received += inbox.bytes;
        decode_ns += inbox.decode_ns;
      }
      if (route.window) {
        r.credit_stalls += route.window->stalls();
        r.peak_frames_in_flight = std::max<std::uint64_t>(
            r.peak_frames_in_flight, static_cast<std::uint64_t>(route.window->peak()));
      }
    }
    r.encode_seconds = static_cast<double>(encode_ns) * 1e-9;
    r.decode_seconds = static_cast<double>(decode_ns) * 1e-9;
    report.edges.push_back(std::move(r));
  }
}

}  // namespace sw::runtime
