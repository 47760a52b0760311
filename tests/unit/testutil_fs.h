// Helpers for filesystem tests: sparse temporary image files, running the
// built tools as processes, and fake live nodes heartbeating on a volume.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/endian.h"
#include "ocfsx/volume.h"
#include "ocfsx_fs.h"

namespace fstest {

// A sparse file of `bytes` bytes in $TMPDIR, removed on destruction.
class TempImage {
 public:
  explicit TempImage(unsigned long long bytes) {
    const char* dir = getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/ocfsx-img-XXXXXX";
    int fd = mkstemp(path_.data());
    if (fd >= 0) {
      if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) path_.clear();
      close(fd);
    }
  }
  ~TempImage() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempImage(const TempImage&) = delete;
  TempImage& operator=(const TempImage&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
inline RunResult Run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Overwrites `bytes` bytes of path from `offset` on with seeded random bytes.
inline bool WriteGarbage(const std::string& path, size_t bytes, unsigned seed, unsigned long long offset = 0) {
  std::vector<char> junk(bytes);
  std::mt19937 rng(seed);
  for (auto& c : junk) c = static_cast<char>(rng());
  FILE* f = std::fopen(path.c_str(), "r+");
  if (!f) return false;
  bool ok = std::fseek(f, static_cast<long>(offset), SEEK_SET) == 0 && std::fwrite(junk.data(), 1, bytes, f) == bytes;
  return std::fclose(f) == 0 && ok;
}

// A built tool, by name.
inline std::string Tool(const std::string& name) { return std::string(OCFSX_TOOLS_DIR) + "/" + name; }

// Writes heartbeat blocks the way a node's heartbeat thread would.
class HbWriter {
 public:
  explicit HbWriter(const std::string& path) {
    ocfsx::Volume::Options o;
    o.writable = true;
    auto v = ocfsx::Volume::Open(path, o);
    if (v.ok()) v_ = std::move(v).value();
  }
  // False when the volume did not open or the write failed.
  bool Write(uint32_t node, uint64_t seq, uint64_t generation, uint32_t flags = 0, uint16_t slot = OCFSX_SLOT_NONE,
             uint32_t interval_ms = 2000) {
    if (!v_) return false;
    const uint32_t bs = v_->io().block_size();
    const uint64_t blk = ocfsx::Le64(v_->super().raw().s_hb_blkno) + node;
    ocfsx::AlignedBuffer b(bs);
    ocfsx::InitBlockHeader(b.data(), OCFSX_BT_HEARTBEAT, bs, blk, 0, v_->super().fs_generation());
    auto* h = reinterpret_cast<ocfsx_heartbeat_block*>(b.data());
    h->hb_seq = ocfsx::Le64(seq);
    h->hb_generation = ocfsx::Le64(generation);
    h->hb_time_sec = ocfsx::Le64(1700000000);
    h->hb_node = ocfsx::Le32(node);
    h->hb_interval_ms = ocfsx::Le32(interval_ms);
    h->hb_dead_ms = ocfsx::Le32(60000);
    h->hb_flags = ocfsx::Le32(flags);
    h->hb_slot = ocfsx::Le16(slot);
    std::memcpy(h->hb_cluster, "alpha", 5);
    std::string host = "host" + std::to_string(node);
    std::memcpy(h->hb_host, host.data(), host.size());
    ocfsx::SealBlock(b.data(), OCFSX_BT_HEARTBEAT, bs);
    return v_->device().WriteBlocks(blk, bs, b.data()).ok();
  }

 private:
  std::unique_ptr<ocfsx::Volume> v_;
};

// Live nodes: while it exists, a thread writes a fresh heartbeat for each of
// `nodes` every 20 ms (the first round is on disk before the constructor
// returns). ok() is false if the volume could not be written.
class LiveHeartbeatWriter {
 public:
  LiveHeartbeatWriter(const std::string& path, std::vector<uint32_t> nodes, uint16_t slot = OCFSX_SLOT_NONE,
                      uint32_t interval_ms = 2000)
      : w_(path), nodes_(std::move(nodes)), slot_(slot), interval_ms_(interval_ms) {
    ok_ = WriteRound(1);
    if (!ok_) return;
    thread_ = std::thread([this] {
      for (uint64_t seq = 2; !stop_; seq++) {
        WriteRound(seq);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~LiveHeartbeatWriter() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  LiveHeartbeatWriter(const LiveHeartbeatWriter&) = delete;
  LiveHeartbeatWriter& operator=(const LiveHeartbeatWriter&) = delete;
  bool ok() const { return ok_; }

 private:
  bool WriteRound(uint64_t seq) {
    bool ok = true;
    for (uint32_t node : nodes_) ok = w_.Write(node, seq, 0x77, 0, slot_, interval_ms_) && ok;
    return ok;
  }

  HbWriter w_;
  std::vector<uint32_t> nodes_;
  uint16_t slot_;
  uint32_t interval_ms_;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fstest
