// debugfs.ocfsx: read-only inspector for ocfsx volumes. Runs one command
// (-R) or a command per stdin line; never writes to the device.
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "ocfsx/status.h"
#include "ocfsx/volume.h"

namespace {

constexpr const char* kProg = "debugfs.ocfsx";

void Usage(FILE* out) {
  std::fprintf(out,
               "Usage: %s [-R \"COMMAND\"] [-V] DEVICE\n"
               "  -R CMD  run one command and exit (exit status 1 if it fails)\n"
               "  -V      print the version\n"
               "  -h      this help\n"
               "Without -R, commands are read from standard input, one per line;\n"
               "\"help\" lists them.\n",
               kProg);
}

}  // namespace

int main(int argc, char** argv) {
  std::string request;
  bool have_request = false;
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, ":R:Vh")) != -1) {
    switch (c) {
      case 'R': request = optarg; have_request = true; break;
      case 'V': std::printf("%s %s (ocfsx format %d.%d)\n", kProg, OCFSX_VERSION, OCFSX_FORMAT_MAJOR, OCFSX_FORMAT_MINOR); return 0;
      case 'h': Usage(stdout); return 0;
      case ':': std::fprintf(stderr, "%s: option -%c needs an argument (see -h)\n", kProg, optopt); return 1;
      default: std::fprintf(stderr, "%s: unknown option -%c (see -h)\n", kProg, optopt ? optopt : '?'); return 1;
    }
  }
  if (optind >= argc) {
    std::fprintf(stderr, "%s: no device given (usage: %s [-R \"COMMAND\"] DEVICE)\n", kProg, kProg);
    return 1;
  }
  if (argc - optind > 1) {
    std::fprintf(stderr, "%s: too many arguments (usage: %s [-R \"COMMAND\"] DEVICE)\n", kProg, kProg);
    return 1;
  }
  const std::string dev = argv[optind];
  struct stat st;
  ocfsx::Volume::Options o;
  // A shared disk changes behind our page cache: read block devices with
  // O_DIRECT so the slot map, heartbeat and inodes are what is on disk.
  o.direct = ::stat(dev.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
  auto vol = ocfsx::Volume::Open(dev, o);
  if (!vol.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProg, vol.status().message().c_str());
    return 1;
  }
  debugfs::Session s(dev, std::move(vol).value());

  if (have_request) return debugfs::RunLine(s, request) == debugfs::Outcome::kFailed ? 1 : 0;

  const bool tty = ::isatty(0);
  bool failed = false;
  std::string line;
  for (;;) {
    if (tty) {
      std::cout << "debugfs: " << std::flush;
    }
    if (!std::getline(std::cin, line)) break;
    debugfs::Outcome r = debugfs::RunLine(s, line);
    if (r == debugfs::Outcome::kQuit) break;
    if (r == debugfs::Outcome::kFailed) failed = true;
  }
  if (tty) std::cout << "\n";
  return failed ? 1 : 0;
}
