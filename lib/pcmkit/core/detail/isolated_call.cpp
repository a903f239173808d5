#include "pcmkit/core/detail/isolated_call.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <new>
#include <thread>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

bool g_in_child = false;
bool g_isolation_disabled = false;

// Child exit codes: what `work` ended with.
constexpr int kOk = 0, kInput = 3, kRun = 4, kMemory = 5, kOther = 6;

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ::_exit(kOther);
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// The child's result, mapped read-only.
struct Mapping {
  const char* data = nullptr;
  std::size_t size = 0;
  explicit Mapping(int fd) {
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end <= 0) return;
    size = static_cast<std::size_t>(end);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) throw RunError("cannot map the result of an isolated reader");
    data = static_cast<const char*>(p);
  }
  ~Mapping() {
    if (data) ::munmap(const_cast<char*>(data), size);
  }
};

}  // namespace

void ByteReader::bytes(void* data, std::size_t n) {
  PCMKIT_CHECK(n <= size_ - at_, "isolated result cut short");
  if (n) std::memcpy(data, data_ + at_, n);
  at_ += n;
}

void ByteWriter::bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  if (fd_ >= 0 && n >= (1 << 16)) {  // large arrays go straight to the descriptor
    flush();
    write_all(fd_, p, n);
    return;
  }
  buffer_.append(p, n);
  if (fd_ >= 0 && buffer_.size() >= (1 << 16)) flush();
}

void ByteWriter::flush() {
  if (fd_ < 0) return;
  write_all(fd_, buffer_.data(), buffer_.size());
  buffer_.clear();
}

void run_isolated_in_process() { g_isolation_disabled = true; }

IsolationLimits limits_for_reading(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  const double bytes = ec ? 0.0 : static_cast<double>(size);
  IsolationLimits limits;
  limits.memory_bytes = (std::size_t{3} << 30) + static_cast<std::size_t>(4 * bytes);
  limits.seconds = 20.0 + bytes / 20e6;
  return limits;
}

namespace {

// The address space this process has mapped now (VmSize), in bytes; 0 when unknown. Read with
// plain system calls: the child's limit is this plus its budget, so that a process that already
// maps much (a sanitizer's shadow memory: terabytes reserved) can still read a file.
std::size_t mapped_bytes_now() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[64] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  std::size_t pages = 0;
  for (const char* c = text; *c >= '0' && *c <= '9'; ++c) {
    pages = pages * 10 + static_cast<std::size_t>(*c - '0');
  }
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

void run_isolated(const std::function<void(ByteWriter&)>& work,
                  const std::function<void(ByteReader&)>& read,
                  const IsolationLimits& limits,
                  const std::filesystem::path& file) {
  if (g_in_child || g_isolation_disabled) {
    ByteWriter memory;
    work(memory);
    ByteReader in(memory.memory().data(), memory.memory().size());
    read(in);
    return;
  }
  const int fd = ::memfd_create("pcmkit-isolated", MFD_CLOEXEC);
  if (fd < 0) throw RunError("cannot create a result buffer for reading " + file.string());
  const std::size_t memory_limit = mapped_bytes_now() + limits.memory_bytes;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw RunError("cannot start a process to read " + file.string());
  }
  if (pid == 0) {
    g_in_child = true;
    const rlimit memory{memory_limit, memory_limit};
    ::setrlimit(RLIMIT_AS, &memory);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGINT, SIG_DFL);  // the parent handles Ctrl-C and cleans up
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    int code = kOk;
    ByteWriter error(fd);
    try {
      ByteWriter out(fd);
      work(out);
      out.flush();
      ::_exit(kOk);
    } catch (const InputError& e) {
      code = kInput;
      ::ftruncate(fd, 0);
      ::lseek(fd, 0, SEEK_SET);
      error.text(e.file());
      error.text(e.field());
      error.text(e.problem());
    } catch (const RunError& e) {
      code = kRun;
      ::ftruncate(fd, 0);
      ::lseek(fd, 0, SEEK_SET);
      error.text(e.what());
    } catch (const std::bad_alloc&) {
      code = kMemory;
    } catch (const std::exception& e) {
      code = kOther;
      ::ftruncate(fd, 0);
      ::lseek(fd, 0, SEEK_SET);
      error.text(e.what());
    }
    error.flush();
    ::_exit(code);
  }

  // The parent: wait, within the time limit.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(limits.seconds);
  int status = 0;
  bool timed_out = false;
  for (auto sleep = std::chrono::microseconds(200);;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      // The program reaps children itself (SIGCHLD ignored, or its own waitpid(-1)): the
      // child's status is lost, so its result cannot be trusted.
      ::kill(pid, SIGKILL);
      ::close(fd);
      throw RunError("cannot wait for the process reading " + file.string() +
                     " (the program reaps child processes itself; call "
                     "pcmkit::parse_untrusted_files_in_process() first)");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(sleep);
    sleep = std::min(sleep * 2, std::chrono::microseconds(20000));
  }
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } close_fd{fd};
  const Mapping result(fd);
  ByteReader in(result.data, result.size);
  const std::string name = file.string();
  const auto damaged = [&](const std::string& how) {
    return InputError(name, "", "is damaged: the HDF5 library failed reading it (" + how + ")");
  };
  if (timed_out) {
    char text[64];
    std::snprintf(text, sizeof text, "still reading after %.0f s", limits.seconds);
    throw damaged(text);
  }
  if (WIFSIGNALED(status))
    throw damaged(std::string("the reader died of ") + ::strsignal(WTERMSIG(status)));
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : kOther;
  switch (code) {
    case kOk:
      read(in);
      return;
    case kInput: {
      const std::string f = in.text(), field = in.text(), problem = in.text();
      throw InputError(f, field, problem);
    }
    case kRun:
      throw RunError(in.text());
    case kMemory:
      throw damaged("it needed more than " + std::to_string(limits.memory_bytes >> 20) + " MiB");
    default:
      throw damaged(result.size ? in.text() : "the reader stopped");
  }
}

}  // namespace pcmkit
