// fsck.ocfsx as a library: the whole offline check and repair of a volume,
// callable in-process (the fuzz test runs it thousands of times) and by the tool.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace ocfsx::check {

// e2fsck's exit status bits; a run ORs together every bit that applies.
inline constexpr int kExitClean = 0;
inline constexpr int kExitCorrected = 1;
inline constexpr int kExitReboot = 2;
inline constexpr int kExitUncorrected = 4;
inline constexpr int kExitOperational = 8;
inline constexpr int kExitUsage = 16;
inline constexpr int kExitCancelled = 32;

enum class Mode {
  kNo,     // -n: open read-only, answer no to everything
  kYes,    // -y: fix everything
  kPreen,  // -p: fix only what is safe without a human; stop fixing otherwise
  kAsk,    // interactive: ask for each problem
};

// Answer to one interactive question.
enum class Answer { kYes, kNo, kAll, kQuit };

struct Options {
  Mode mode = Mode::kNo;
  bool force = false;             // -f: full check even if the volume is clean
  bool ignore_heartbeat = false;  // -F: proceed despite live heartbeats
  bool progress = false;          // -P: per-pass percentage on the error stream
  bool verbose = false;           // -v
  // How long to wait between the two heartbeat samples; negative: 1.5 times
  // the longest write interval announced by a possibly-live writer.
  int heartbeat_wait_ms = -1;
  // kAsk only: asks the question (one line, no newline) and returns the answer.
  std::function<Answer(const std::string& question)> ask;
};

// Summary of one run, for tests and the tool's last line.
struct Report {
  int exit_code = kExitClean;
  uint64_t problems = 0;   // inconsistencies found
  uint64_t fixed = 0;      // of which repaired
  bool skipped = false;    // clean volume, full check skipped (no -f)
};

// Checks (and, by mode, repairs) the volume on `device`. Messages go to
// `out`; progress (-P) goes to `err`. Never throws on bad volume contents.
Report CheckVolume(const std::string& device, const Options& options, std::ostream& out, std::ostream& err);

}  // namespace ocfsx::check
