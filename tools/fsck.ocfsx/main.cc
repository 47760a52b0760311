// fsck.ocfsx: command line of the offline checker (e2fsck-style options and
// exit codes); the passes live in libocfsx/check_*.cc.
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "ocfsx/check_fsck.h"
#include "ocfsx_fs.h"

namespace {

namespace ck = ocfsx::check;
constexpr const char* kProg = "fsck.ocfsx";

void Usage(FILE* out) {
  std::fprintf(out,
               "Usage: %s [-n|-y|-p] [-f] [-F] [-P] [-v] [-V] DEVICE\n"
               "  -n   check only: open read-only and answer no to every question\n"
               "  -y   answer yes: fix everything\n"
               "  -p   preen: fix only what is safe, exit 4 on anything else (-a is the same)\n"
               "  -f   force a full check even if the volume is clean\n"
               "  -F   check even while other nodes heartbeat on the volume\n"
               "  -P   show per-pass progress on stderr\n"
               "  -v   verbose\n"
               "  -V   print the version\n"
               "Without -n, -y or -p: ask for each problem on a terminal, else behave like -n.\n",
               kProg);
}

int UsageError(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProg, msg.c_str());
  Usage(stderr);
  return ck::kExitUsage;
}

// e2fsck exits 32 when interrupted; every write is one whole block, so
// stopping between them leaves nothing torn that a rerun cannot fix.
void OnSignal(int) { _exit(ck::kExitCancelled); }

ck::Answer AskTerminal(const std::string& question) {
  for (;;) {
    std::fputs((question + "[y/n/a(ll)/q(uit)] ").c_str(), stdout);
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::fputs("\n", stdout);
      return ck::Answer::kQuit;
    }
    if (line == "y" || line == "yes" || line == "Y") return ck::Answer::kYes;
    if (line == "n" || line == "no" || line == "N") return ck::Answer::kNo;
    if (line == "a" || line == "all") return ck::Answer::kAll;
    if (line == "q" || line == "quit") return ck::Answer::kQuit;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ck::Options opts;
  int modes = 0;
  bool mode_set = false;
  opterr = 0;
  int c;
  while ((c = getopt(argc, argv, "nypafFPvVh")) != -1) {
    switch (c) {
      case 'n': opts.mode = ck::Mode::kNo, modes++, mode_set = true; break;
      case 'y': opts.mode = ck::Mode::kYes, modes++, mode_set = true; break;
      case 'p':
      case 'a': opts.mode = ck::Mode::kPreen, modes++, mode_set = true; break;
      case 'f': opts.force = true; break;
      case 'F': opts.ignore_heartbeat = true; break;
      case 'P': opts.progress = true; break;
      case 'v': opts.verbose = true; break;
      case 'V':
        std::printf("%s %s (ocfsx format %d.%d)\n", kProg, OCFSX_VERSION, OCFSX_FORMAT_MAJOR, OCFSX_FORMAT_MINOR);
        return 0;
      case 'h': Usage(stdout); return 0;
      default: return UsageError(std::string("unknown option -") + static_cast<char>(optopt ? optopt : '?'));
    }
  }
  if (modes > 1) return UsageError("only one of -n, -y and -p may be given");
  if (optind >= argc) return UsageError("no device given");
  if (argc - optind > 1) return UsageError("too many arguments");
  if (!mode_set) {
    // No answer mode: ask a human if there is one, else change nothing.
    if (isatty(STDIN_FILENO)) {
      opts.mode = ck::Mode::kAsk;
      opts.ask = AskTerminal;
    } else {
      opts.mode = ck::Mode::kNo;
    }
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  ck::Report r = ck::CheckVolume(argv[optind], opts, std::cout, std::cerr);
  std::cout.flush();
  return r.exit_code;
}
