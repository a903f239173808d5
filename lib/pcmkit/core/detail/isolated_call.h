// Parsing untrusted files where a crash cannot hurt: `work` runs in a forked child process with
// limits on memory and time, and only its result (bytes) comes back. Debian 12's libhdf5 can
// crash (SIGSEGV) or allocate without end on a damaged file's metadata; in the child that is one
// line and exit 2, not a dead or runaway pcmkit.
// The child is forked without exec: call this while the process has no other threads doing
// work (readers run before a command's parallel work starts). Inside the child itself, and after
// run_isolated_in_process() (an MPI session calls it: fork is unsafe there), `work` runs in this
// process instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <type_traits>

namespace pcmkit {

struct IsolationLimits {
  // Address space the child may map beyond what this process has mapped when it forks.
  std::size_t memory_bytes = std::size_t{3} << 30;
  double seconds = 20.0;  // wall time before the child is killed
};

// Limits for reading `file`: 3 GiB plus 4 bytes of memory per byte of the file (compressed
// data expands), 20 s plus 1 s per 20 MB.
IsolationLimits limits_for_reading(const std::filesystem::path& file);

class ByteWriter;
class ByteReader;

// Runs `work` in a child process, which writes its result with the ByteWriter; then `read`
// takes it back in this process. An InputError or RunError thrown by `work` is thrown here as it
// was (file, field, problem). A child that dies on a signal, exceeds the memory limit or runs out
// of time becomes InputError{file, "", "is damaged: the HDF5 library failed reading it (...)"}.
// Errors: RunError when no child process can be made.
void run_isolated(const std::function<void(ByteWriter&)>& work,
                  const std::function<void(ByteReader&)>& read,
                  const IsolationLimits& limits,
                  const std::filesystem::path& file);

// From now on run_isolated runs `work` and `read` directly, in this process.
void run_isolated_in_process();

// Plain values, strings and arrays across the process boundary (the same program on both
// sides), written straight to a file descriptor or to memory.
class ByteWriter {
 public:
  explicit ByteWriter(int fd = -1) : fd_(fd) {}
  ~ByteWriter() = default;
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  void text(const std::string& s) {
    value<std::uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  template <typename T>
  void array(const T* data, std::size_t n) {
    value<std::uint64_t>(n);
    bytes(data, n * sizeof(T));
  }
  void bytes(const void* data, std::size_t n);
  void flush();                                          // to the descriptor
  const std::string& memory() const { return buffer_; }  // fd = −1: everything written

 private:
  int fd_;
  std::string buffer_;
};

class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size) : data_(data), size_(size) {}
  template <typename T>
  T value() {
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  std::string text() {
    std::string s(static_cast<std::size_t>(value<std::uint64_t>()), '\0');
    bytes(s.data(), s.size());
    return s;
  }
  std::size_t array_size() { return static_cast<std::size_t>(value<std::uint64_t>()); }
  void bytes(void* data, std::size_t n);  // InternalError past the end

 private:
  const char* data_;
  std::size_t size_, at_ = 0;
};

}  // namespace pcmkit
