#include "mapping_faults.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "streamweave/serde/mapped_file.hpp"

namespace sw {

namespace {

constexpr std::uint64_t kNoFault = ~std::uint64_t{0};
constexpr std::size_t kSlots = 4096;
constexpr std::size_t kPathBytes = 240;

// Read by the signal handler: lock-free atomics, and a path copied in before `begin` is
// published (release) and read after it is seen (acquire).
struct Slot {
  std::atomic<std::uintptr_t> begin{0};  // 0: free
  std::atomic<std::size_t> size{0};
  std::atomic<std::uint64_t> fault{kNoFault};
  char path[kPathBytes] = {};
};

// The latest fault, for the run that outlives the mapping that faulted.
struct LastFault {
  std::atomic<bool> writing{false};
  char path[kPathBytes] = {};
  std::uint64_t offset = 0;
  std::uint64_t mapped_size = 0;
};

std::array<Slot, kSlots> slots;
LastFault last_fault;
std::atomic<std::uint64_t> fault_count{0};
std::mutex registration;  // writers only; the handler never takes it
struct sigaction previous_action {};

void note_last_fault(const Slot& slot, std::uint64_t offset, std::size_t size) noexcept {
  bool expected = false;
  if (!last_fault.writing.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    return;  // another thread is recording its own fault: one is enough to name
  }
  std::memcpy(last_fault.path, slot.path, kPathBytes);
  last_fault.offset = offset;
  last_fault.mapped_size = size;
  last_fault.writing.store(false, std::memory_order_release);
}

// Not in POSIX's list of async-signal-safe calls, mmap is a plain system call on Linux
// (glibc's wrapper takes no lock), as the handlers of several databases rely on.
void on_sigbus(int signal, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (Slot& slot : slots) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    const std::size_t size = slot.size.load(std::memory_order_relaxed);
    if (begin == 0 || address < begin || address >= begin + size) continue;
    const std::uintptr_t from = address & ~(page - 1);
    const std::uintptr_t to = (begin + size + page - 1) & ~(page - 1);
    void* zeros = ::mmap(reinterpret_cast<void*>(from), to - from, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros == MAP_FAILED) break;  // fatal after all
    const std::uint64_t offset = address - begin;
    std::uint64_t seen = slot.fault.load(std::memory_order_relaxed);
    while (offset < seen &&
           !slot.fault.compare_exchange_weak(seen, offset, std::memory_order_acq_rel)) {
    }
    note_last_fault(slot, offset, size);
    fault_count.fetch_add(1, std::memory_order_acq_rel);
    return;  // the read is retried, and finds zeros
  }
  // Not a mapped file of ours: what would have happened without this handler.
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
      previous_action.sa_handler != nullptr) {
    previous_action.sa_handler(signal);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the read is retried and the default action ends the process
}

void install_handler() noexcept {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &previous_action);
}

}  // namespace

namespace detail {

int register_mapping(const std::byte* data, std::size_t size, const std::string& path) noexcept {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  std::lock_guard lock(registration);
  for (std::size_t i = 0; i < kSlots; ++i) {
    Slot& slot = slots[i];
    if (slot.begin.load(std::memory_order_relaxed) != 0) continue;
    const std::size_t n = std::min(path.size(), kPathBytes - 1);
    std::memcpy(slot.path, path.data(), n);
    slot.path[n] = '\0';
    slot.size.store(size, std::memory_order_relaxed);
    slot.fault.store(kNoFault, std::memory_order_relaxed);
    slot.begin.store(reinterpret_cast<std::uintptr_t>(data), std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void unregister_mapping(int slot) noexcept {
  if (slot < 0) return;
  std::lock_guard lock(registration);
  slots[static_cast<std::size_t>(slot)].begin.store(0, std::memory_order_release);
}

std::optional<std::uint64_t> mapping_fault(int slot) noexcept {
  if (slot < 0) return std::nullopt;
  const std::uint64_t fault =
      slots[static_cast<std::size_t>(slot)].fault.load(std::memory_order_acquire);
  if (fault == kNoFault) return std::nullopt;
  return fault;
}

}  // namespace detail

std::uint64_t mapped_file_faults() noexcept {
  return fault_count.load(std::memory_order_acquire);
}

std::string last_mapped_file_fault() {
  while (last_fault.writing.load(std::memory_order_acquire)) {
  }
  if (mapped_file_faults() == 0) return {};
  return describe_shrunk_file(last_fault.path, last_fault.offset, last_fault.mapped_size);
}

}  // namespace sw
