// Internal: one distributed run on this rank. The session owns the run's parts — the route
// table, the frame exchange (build time), the MPI transport, the credit ledger, the
// termination protocol, the report gathering, the checkpoint coordinators' messages — and the
// communication thread's loop that drives them until every rank is done.
#pragma once

#include <mpi.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "../build.hpp"
#include "../checkpoint/peers.hpp"
#include "comm_pacing.hpp"
#include "credits.hpp"
#include "frame_exchange.hpp"
#include "heartbeats.hpp"
#include "mpi_transport.hpp"
#include "mpi_world.hpp"
#include "report_gathering.hpp"
#include "route_table.hpp"
#include "termination.hpp"

namespace sw::runtime {

class Session final : public CheckpointPeers,
                      public CreditReturn,
                      public FramePost,
                      public TaskRunner,
                      public TransportListener {
 public:
  Session(const Graph& graph, const RunOptions& options, RunContext& run, MpiWorld& world);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Collective: this run's routes and communicators, and a check that every rank built the
  // same graph (GraphError naming the ranks otherwise). Main thread, before build().
  void open(const Built& built);
  // The exchange for build()'s exchange edges. After open().
  [[nodiscard]] FrameExchange& exchange() noexcept { return *exchange_; }

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

  // The ranks' checkpoint coordinators talk through this session; null when the run has one
  // rank (its coordinator needs no peers).
  [[nodiscard]] CheckpointPeers* checkpoint_peers() noexcept {
    return mpi() && ranks_ > 1 ? this : nullptr;
  }
  // Where the checkpoint protocol's messages go (null: refused); the coordinator calls it with
  // null before it goes away. Main thread.
  void listen_for_checkpoints(CheckpointListener* listener);
  // CheckpointPeers.
  [[nodiscard]] unsigned rank() const noexcept override { return rank_; }
  [[nodiscard]] unsigned ranks() const noexcept override { return ranks_; }
  [[nodiscard]] RestoreChoice agree(RestoreChoice choice) override;
  void send(unsigned to, ControlMessage message) override;

  // This rank's tasks are done (or never started): tells the peers about a local failure,
  // waits until every rank is done and no message is left in flight, and returns every
  // rank's report, by rank. Main thread.
  [[nodiscard]] std::vector<RankReport> finish(const RankReport& mine);

 private:
  // TransportListener: what arrives. Communication thread.
  void on_data(int peer, bool is_frame, const Bytes& bytes) override;
  void on_control(int peer, const Bytes& bytes) override;
  void reject(int peer, std::string edge, const std::string& why) noexcept;

  // The communication thread's job: serve_run(), then serve_end(); after a lost peer, only
  // the rank's own tasks (serve_lost()).
  void serve();
  void serve_run();
  void serve_end();
  void serve_lost();
  void wake_comm() noexcept;
  // One round of the transport's work; true if anything moved.
  bool pump_messages();
  bool send_checkpoint_messages();  // what the checkpoint coordinator posted
  bool run_ready_tasks();
  // After return_credit or post: moves MPI on when a task on the communication thread made
  // the call (progress_from_task), else wakes that thread.
  void after_enqueue() noexcept;
  // One round of MPI calls from a task running on the communication thread.
  void progress_from_task() noexcept;
  void fail(std::exception_ptr error) noexcept;
  [[nodiscard]] bool mpi() const noexcept { return world_->info().mpi; }

  const Graph* graph_;
  const RunOptions* options_;
  RunContext* run_;
  MpiWorld* world_;
  unsigned rank_;
  unsigned ranks_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<FrameExchange> exchange_;

  moodycamel::ConcurrentQueue<Outgoing> outgoing_;
  // Control messages of the checkpoint protocol, to send on the communication thread.
  moodycamel::ConcurrentQueue<std::pair<unsigned, ControlMessage>> control_out_;
  std::mutex listener_mutex_;
  CheckpointListener* checkpoint_listener_ = nullptr;
  moodycamel::ConcurrentQueue<Task*> ready_;  // tasks for the communication thread to run

  // MPI runs only; the communication thread's, between start() and the end of finish().
  MPI_Comm data_ = MPI_COMM_NULL;
  MPI_Comm control_ = MPI_COMM_NULL;
  MPI_Comm heartbeat_ = MPI_COMM_NULL;
  std::unique_ptr<Heartbeats> heartbeats_;
  std::unique_ptr<MpiTransport> transport_;
  std::unique_ptr<CreditLedger> credits_;
  std::unique_ptr<Termination> termination_;
  ReportGathering reports_;
  std::atomic<bool> lost_{false};           // a peer fell silent: MPI is left as it is
  Clock::time_point last_task_progress_{};  // progress_from_task's last round
  std::unique_ptr<CommPacing> pacing_;      // from start()

  std::future<void> serving_;
  std::atomic<bool> finish_requested_{false};
};

}  // namespace sw::runtime
