#include "stop_signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "sample_file.hpp"

namespace sw::examples {

namespace {

// Wakes the waiting thread when the tool ends without a signal: not one a user sends.
constexpr int kQuit = SIGUSR2;

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kQuit);
  return set;
}

void say(const char* text) noexcept {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

}  // namespace

StopSignals::StopSignals(CancelToken token) {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this, token, set] {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) return;
      if (signal == kQuit) {
        if (quitting_.load(std::memory_order_acquire)) return;
        continue;  // someone else's SIGUSR2 (mpirun forwards them): not ours
      }
      if (received_.load(std::memory_order_acquire) == 0) {
        received_.store(signal, std::memory_order_release);
        say(signal == SIGINT ? "\nstreamweave: SIGINT: stopping (again to kill)\n"
                             : "\nstreamweave: SIGTERM: stopping (again to kill)\n");
        request_stop();
        token.cancel();
        continue;
      }
      // A second signal: die of it now, as the user asks (a later run removes what is left).
      ::signal(signal, SIG_DFL);
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, signal);
      pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
      ::raise(signal);
    }
  });
}

StopSignals::~StopSignals() {
  quitting_.store(true, std::memory_order_release);
  pthread_kill(waiter_.native_handle(), kQuit);
  waiter_.join();
}

std::string StopSignals::name() const {
  switch (received()) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "no signal";
  }
}

}  // namespace sw::examples
