// Internal: one distributed run on this rank — the routes of its exchange edges, the credit
// windows, and the communication thread's loop that moves frames, credits and aborts over MPI
// until every rank is done.
#pragma once

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../build.hpp"
#include "credit_window.hpp"
#include "frame_receiver.hpp"
#include "frame_sender.hpp"
#include "heartbeats.hpp"
#include "mpi_world.hpp"
#include "streamweave/serde/control.hpp"

namespace sw::runtime {

// One exchange edge into one consumer instance. Numbered the same on every rank.
struct Route {
  std::uint32_t edge = 0;
  unsigned target = 0;
  unsigned rank = 0;                        // where the consumer instance runs
  std::unique_ptr<FrameReceiver> receiver;  // on this rank
  std::unique_ptr<CreditWindow> window;     // on another rank: this rank's frames in flight to it
  std::optional<moodycamel::ProducerToken> comm_token;  // the comm thread's, into receiver
};

class Session final : public Exchange, public CreditReturn, public FramePost, public TaskRunner {
 public:
  Session(const Graph& graph, const RunOptions& options, RunContext& run, MpiWorld& world);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Collective: this run's communicators, and a check that every rank built the same graph
  // (GraphError naming the ranks otherwise). Main thread, before build().
  void open(const Built& built);

  void add_receivers(const Graph& graph, Built& built) override;
  [[nodiscard]] std::unique_ptr<BatchSender> make_sender(const Graph& graph, const Built& built,
                                                         std::size_t edge, Task& producer,
                                                         unsigned instance) override;

  // Starts moving data on the communication thread, which also runs the rank's tasks when it
  // has one worker (DistributedOptions::tasks_on_comm_thread). Main thread, after build(),
  // before the tasks are woken.
  void start();
  // A task to run on the communication thread. Any thread.
  void enqueue(Task& task) override;
  // Worker threads, or tasks on the communication thread.
  void return_credit(int rank, std::uint32_t route) noexcept override;
  void post(moodycamel::ProducerToken& token, Outgoing&& out) override;
  [[nodiscard]] moodycamel::ConcurrentQueue<Outgoing>& outgoing() noexcept override {
    return outgoing_;
  }

  // This rank's tasks are done (or never started): tells the peers about a local failure,
  // waits until every rank is done and no message is left in flight, and returns every
  // rank's report, by rank. Main thread.
  [[nodiscard]] std::vector<RankReport> finish(RankReport mine);

  // What crossed each exchange edge on this rank (by edge, only exchange edges).
  void add_edge_reports(const Graph& graph, const Built& built, RankReport& report) const;

 private:
  struct Op;

  // The communication thread's job: serve_run(), then serve_end(); after a lost peer, only
  // the rank's own tasks (serve_lost()).
  void serve();
  void serve_run();
  void serve_end();
  void serve_lost();
  // Polls `request` (a collective of the ending) until it completes, with heartbeats.
  void wait_with_heartbeats(MPI_Request& request);
  void wake_comm() noexcept;
  // One round of every pump below; true if anything moved.
  bool pump_messages();
  bool pump_outgoing();
  bool pump_credits();
  bool pump_receives();
  bool pump_control();
  bool pump_completions();
  bool run_ready_tasks();
  // After return_credit or post: moves MPI on when a task on the communication thread made
  // the call (progress_from_task), else wakes that thread.
  void after_enqueue() noexcept;
  // One round of MPI calls from a task running on the communication thread.
  void progress_from_task() noexcept;
  void deliver(Op& op);
  void send_abort_if_failed();
  void isend(int peer, int tag, MPI_Comm comm, std::unique_ptr<Op> op, const void* data, int count,
             MPI_Datatype type = MPI_BYTE);
  void isend_pieces(int peer, std::unique_ptr<Op> op);
  void send_control(int peer, MPI_Comm comm, const ControlMessage& message);
  // The termination protocol: once finishing, tells every peer how many messages to wait
  // for (true when it did so now); then, whether all of them arrived.
  bool close_sends(bool finishing);
  bool everything_arrived();
  // Yields, spins or sleeps after `idle` rounds without progress.
  void back_off(unsigned idle, Clock::duration since_progress, bool finishing);
  void take_credits(int peer, const CreditMessage& credits);
  void fail(std::exception_ptr error) noexcept;
  [[nodiscard]] bool mpi() const noexcept { return world_->info().mpi; }

  const Graph* graph_;
  const RunOptions* options_;
  RunContext* run_;
  MpiWorld* world_;
  unsigned rank_;
  unsigned ranks_;
  std::vector<std::size_t> route_base_;  // by edge; first route of an exchange edge
  std::vector<Route> routes_;
  std::vector<const FrameSender*> senders_;  // owned by the producer tasks

  moodycamel::ConcurrentQueue<Outgoing> outgoing_;
  moodycamel::ConcurrentQueue<std::pair<std::int32_t, std::uint32_t>> credits_;
  moodycamel::ConcurrentQueue<Task*> ready_;  // tasks for the communication thread to run

  // Communication thread only, between start() and the end of finish().
  MPI_Comm data_ = MPI_COMM_NULL;
  MPI_Comm control_ = MPI_COMM_NULL;
  MPI_Comm heartbeat_ = MPI_COMM_NULL;
  std::unique_ptr<Heartbeats> heartbeats_;
  // The ending: this rank's report, encoded by finish(), and every rank's, gathered.
  Bytes report_;
  std::vector<std::byte> gathered_;
  std::vector<int> report_sizes_;
  std::vector<int> report_offsets_;
  std::atomic<bool> lost_{false};  // a peer fell silent: MPI is left as it is
  std::vector<std::unique_ptr<Op>> ops_;
  // pump_completions' scratch, kept so that a round of the loop allocates nothing.
  std::vector<MPI_Request> requests_;
  std::vector<Op*> waiting_;
  std::vector<int> indices_;
  Clock::time_point last_task_progress_{};        // progress_from_task's last round
  std::vector<std::deque<Op*>> arrivals_;         // by source: receives in match order
  std::vector<std::uint64_t> sent_;               // messages to each peer
  std::vector<std::uint64_t> received_;           // messages from each peer
  std::vector<std::uint64_t> expected_;           // what each peer says it sent us
  std::vector<std::vector<std::uint32_t>> owed_;  // credits owed [peer][route]
  std::vector<bool> credits_due_;                 // [peer]
  MPI_Request alltoall_ = MPI_REQUEST_NULL;
  bool sends_closed_ = false;
  bool counts_known_ = false;
  bool abort_sent_ = false;
  bool remote_cancel_ = false;   // a peer's abort or cancellation arrived
  bool oversubscribed_ = false;  // more ranks on this machine than the cores they may use
  bool runs_tasks_ = false;      // the rank's tasks run on this thread, between polls

  std::future<void> serving_;
  std::atomic<bool> finish_requested_{false};

  std::atomic<bool> comm_sleeping_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
};

}  // namespace sw::runtime
